import type { ValidateFunction } from 'ajv';
import { readSchema } from '../schemas.js';
import { createAjv } from './ajv.js';

let gateway: { schema: Record<string, unknown>; validate: ValidateFunction } | undefined;
const bySchema = new WeakMap<object, ValidateFunction>();

/**
 * The gateway schema and its validator, compiled once per process: compiling it took about as long
 * on the loop as validating a 1,000-route file, at every reload.
 */
export function gatewayValidator(): { schema: Record<string, unknown>; validate: ValidateFunction } {
  if (!gateway) {
    const schema = readSchema('gateway.schema.json');
    gateway = { schema, validate: createAjv({ shipped: true }).compile(schema) };
  }
  return gateway;
}

/**
 * A plugin's options validator, compiled once per schema object. Each gets its own ajv: two
 * plugins may reuse a `$id`, which one ajv would refuse.
 */
export function pluginValidator(schema: object): ValidateFunction {
  let validate = bySchema.get(schema);
  if (!validate) {
    validate = createAjv().compile(schema);
    bySchema.set(schema, validate);
  }
  return validate;
}
