/** The gateway schema's validator shipped as generated code: current, and judging as the compiled one does. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createAjv } from '../../src/config/ajv.js';
import { loadValidatorCode, pluginSchemaText, validatorCode } from '../../src/config/validator-code.js';
import { pluginValidator } from '../../src/config/validators.js';
import { allBuiltinPlugins, builtinPlugins } from '../../src/registry.js';

const SCHEMA = 'schemas/gateway.schema.json';
const CODE = 'schemas/gateway.schema.validate.cjs';
const schemaText = readFileSync(SCHEMA, 'utf8');
const CONFIGS = ['gateway.yaml', ...readdirSync('examples').filter((f) => f.endsWith('.yaml')).map((f) => join('examples', f))];

describe('schemas/gateway.schema.validate.cjs', () => {
  it('is the code generated from gateway.schema.json as it is now', () => {
    expect(readFileSync(CODE, 'utf8') === validatorCode(schemaText), `${CODE} is stale: run npx tsx scripts/validator-code.ts`).toBe(true);
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

// Every provider instance in the shipped configs, by plugin: what each plugin's generated
// validator is tried on, as written and broken (no options, an unknown one, each one's type wrong).
const shippedOptions = new Map<string, Array<Record<string, unknown>>>();
for (const file of [...CONFIGS, ...readdirSync('docs/examples').filter((f) => f.endsWith('.yaml')).map((f) => join('docs/examples', f))]) {
  const providers = ((parse(readFileSync(file, 'utf8')) as { providers?: Record<string, Record<string, unknown>> }).providers ?? {});
  for (const { plugin, rateLimit: _r, senders: _s, ...options } of Object.values(providers)) {
    shippedOptions.set(String(plugin), [...(shippedOptions.get(String(plugin)) ?? []), options]);
  }
}
const brokenCopies = (options: Record<string, unknown>): unknown[] => [
  options,
  {},
  { ...options, unknownOption: true },
  ...Object.keys(options).flatMap((k) => [{ ...options, [k]: 42 }, { ...options, [k]: { nested: 'x' } }]),
];

describe('schemas/plugins/<name>.validate.cjs', () => {
  it.each([...builtinPlugins.keys()])('%s: is the code generated from the plugin\'s options schema as it is now, and used only for it', async (name) => {
    const file = `schemas/plugins/${name}.validate.cjs`;
    const text = pluginSchemaText((await allBuiltinPlugins()).get(name)!.optionsSchema as object);
    const code = readFileSync(file, 'utf8');
    expect(code === validatorCode(text, `the ${name} plugin's options schema`), `${file} is stale: run npx tsx scripts/validator-code.ts`).toBe(true);
    expect(loadValidatorCode(code, `${text} `)).toBeUndefined();
  });

  it.each([...builtinPlugins.keys()])('%s: judges shipped options and broken copies of them as the compiled schema does', async (name) => {
    const schema = (await allBuiltinPlugins()).get(name)!.optionsSchema as object;
    const generated = pluginValidator(schema, name);
    const compiled = createAjv({ shipped: true }).compile(schema);
    // Loaded from the file, not compiled: a compiled validator keeps its schema, generated code does not.
    expect((generated as { schema?: unknown }).schema).toBeUndefined();
    const samples = (shippedOptions.get(name) ?? [{}]).flatMap(brokenCopies);
    for (const sample of samples) {
      const a = structuredClone(sample);
      const b = structuredClone(sample);
      expect(generated(a)).toBe(compiled(b));
      expect(generated.errors ?? null).toEqual(compiled.errors ?? null);
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
