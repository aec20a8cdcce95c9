import type { ValidateFunction } from 'ajv';
import { readSchemaText } from '../schemas.js';
import { createAjv } from './ajv.js';
import { loadValidatorCode } from './validator-code.js';

let gateway: { schema: Record<string, unknown>; validate: ValidateFunction } | undefined;
const bySchema = new WeakMap<object, ValidateFunction>();

/**
 * The gateway schema and its validator, once per process: the code generated from this very
 * schema text when it is shipped (validator-code.ts), else compiled, which took about as long on
 * the loop as validating a 1,000-route file, and a tenth of a start.
 */
export function gatewayValidator(): { schema: Record<string, unknown>; validate: ValidateFunction } {
  if (!gateway) {
    const text = readSchemaText('gateway.schema.json');
    const schema = JSON.parse(text) as Record<string, unknown>;
    const code = readSchemaText('gateway.schema.validate.cjs', true);
    gateway = { schema, validate: (code && loadValidatorCode(code, text)) || createAjv({ shipped: true }).compile(schema) };
  }
  return gateway;
}

/**
 * A plugin's options validator, compiled once per schema object. Each gets its own ajv: two
 * plugins may reuse a `$id`, which one ajv would refuse. `builtin`: a built-in plugin's schema,
 * which a test checks against the meta-schema (compiling that check cost most of a start's
 * plugin validation); a user plugin's schema is checked at load.
 */
export function pluginValidator(schema: object, builtin = false): ValidateFunction {
  let validate = bySchema.get(schema);
  if (!validate) {
    validate = createAjv({ shipped: builtin }).compile(schema);
    bySchema.set(schema, validate);
  }
  return validate;
}
