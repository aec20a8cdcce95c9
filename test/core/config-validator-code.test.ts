/** The gateway schema's validator shipped as generated code: current, and judging as the compiled one does. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createAjv } from '../../src/config/ajv.js';
import { loadValidatorCode, validatorCode } from '../../src/config/validator-code.js';
import { allBuiltinPlugins, builtinPlugins } from '../../src/registry.js';

const SCHEMA = 'schemas/gateway.schema.json';
const CODE = 'schemas/gateway.schema.validate.cjs';
const schemaText = readFileSync(SCHEMA, 'utf8');
const CONFIGS = ['gateway.yaml', ...readdirSync('examples').filter((f) => f.endsWith('.yaml')).map((f) => join('examples', f))];

describe('schemas/gateway.schema.validate.cjs', () => {
  it('is the code generated from gateway.schema.json as it is now', () => {
    expect(readFileSync(CODE, 'utf8') === validatorCode(schemaText), `${CODE} is stale: run npx tsx scripts/gateway-validator.ts`).toBe(true);
  });

  it('is not used for any other schema text', () => {
    const code = readFileSync(CODE, 'utf8');
    expect(loadValidatorCode(code, schemaText)).toBeTypeOf('function');
    expect(loadValidatorCode(code, `${schemaText} `)).toBeUndefined();
    expect(loadValidatorCode(code.replace(/^\/\/ sha256[^\n]*\n/, ''), schemaText)).toBeUndefined();
  });

  // Each config as shipped, and broken in the ways a user breaks one: a misspelt key, a bad
  // duration, a wrong type, a missing section, an unknown format of URL.
  const variants = (doc: Record<string, unknown>): unknown[] => [
    doc,
    { ...doc, serverr: {} },
    { ...doc, server: { ...(doc.server as object), shutdownTimeout: '10 seconds' } },
    { ...doc, server: { ...(doc.server as object), port: 'eighty' } },
    { ...doc, routes: undefined },
    { ...doc, callbacks: { url: 'not a url' } },
    { ...doc, store: { retention: '31d', receiptIndex: 5 } },
  ];

  it.each(CONFIGS)('judges %s and broken copies of it as the compiled schema does, defaults and errors alike', (file) => {
    const generated = loadValidatorCode(readFileSync(CODE, 'utf8'), schemaText)!;
    const compiled = createAjv({ shipped: true }).compile(JSON.parse(schemaText) as object);
    for (const variant of variants(parse(readFileSync(file, 'utf8')) as Record<string, unknown>)) {
      const a = structuredClone(JSON.parse(JSON.stringify(variant)) as unknown);
      const b = structuredClone(a);
      expect(generated(a)).toBe(compiled(b));
      expect(generated.errors ?? null).toEqual(compiled.errors ?? null);
      // Defaults filled in the same.
      expect(a).toEqual(b);
    }
  });
});

// A built-in plugin's options schema is compiled at load without this check (pluginValidator).
describe('built-in plugins\' options schemas', () => {
  it.each([...builtinPlugins.keys()])('%s is valid against the meta-schema', async (name) => {
    const ajv = createAjv();
    expect(ajv.validateSchema((await allBuiltinPlugins()).get(name)!.optionsSchema as object)).toBe(true);
    expect(ajv.errors ?? []).toEqual([]);
  });
});
