import type { ValidateFunction } from 'ajv';
import { readSchemaText } from '../schemas.js';
import { createAjv } from './ajv.js';
import { loadValidatorCode, pluginSchemaText } from './validator-code.js';

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
 * A plugin's options validator, once per schema object. `builtin`: the name of the built-in plugin
 * whose schema this is; its validator is the code generated for this very schema when that is
 * shipped, else compiled without the meta-schema check, which a test makes (compiling that check
 * cost most of a start's plugin validation). A user plugin's schema is checked and compiled at
 * load. Each compile gets its own ajv: two plugins may reuse a `$id`, which one ajv would refuse.
 */
export function pluginValidator(schema: object, builtin?: string): ValidateFunction {
  let validate = bySchema.get(schema);
  if (!validate) {
    const code = builtin && readSchemaText(`plugins/${builtin}.validate.cjs`, true);
    validate = (code && loadValidatorCode(code, pluginSchemaText(schema))) || createAjv({ shipped: builtin !== undefined }).compile(schema);
    bySchema.set(schema, validate);
  }
  return validate;
}
