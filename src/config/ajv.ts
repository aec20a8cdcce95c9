import { Ajv, type CodeOptions, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { isDuration } from './duration.js';

// ajv-formats ships CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** `format: duration`, for `30s`-style values. */
export const DURATION_FORMAT = { type: 'string', validate: isDuration } as const;

/**
 * The one ajv setup for config and API bodies: strict schemas, every error at once, schema
 * defaults filled in, `format: duration` for `30s`-style values, and `x-secret` marking fields
 * that logs and `/-/config` must never show. `shipped`: for the schemas in `schemas/` only, which
 * are not checked against the meta-schema again (a user plugin's schema is); `code`: ajv's code
 * options (validator-code.ts generates the gateway schema's validator with them).
 */
export function createAjv(options: { shipped?: boolean; code?: CodeOptions } = {}): Ajv {
  // A schema shipped in schemas/ is checked against the meta-schema by a test; checking it again
  // at every start cost more than compiling it.
  const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: true, allowUnionTypes: true, validateSchema: !options.shipped, code: options.code });
  addFormats(ajv);
  ajv.addFormat('duration', DURATION_FORMAT);
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  return ajv;
}

/** `must have required property 'x'` → readable text with the offending property named. */
export function describeAjvError(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return `unknown property "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'required') return `missing required property "${(e.params as { missingProperty: string }).missingProperty}"`;
  if (e.keyword === 'enum') return `${e.message}: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  if (e.keyword === 'format' && (e.params as { format: string }).format === 'duration') {
    return 'must be a duration like 500ms, 30s, 5m, 2h or 30d';
  }
  return e.message ?? e.keyword;
}
