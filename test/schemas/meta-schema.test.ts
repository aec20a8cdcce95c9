/**
 * The gateway and API schemas are compiled without checking them against JSON Schema's
 * meta-schema at start (`createAjv({ shipped: true })`): that check is here instead, for every file
 * in schemas/, so a malformed keyword is caught before it ships rather than at an operator's start.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAjv } from '../../src/config/ajv.js';

const ROOT = join(process.cwd(), 'schemas');
const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.json') ? [join(dir, e.name)] : []));

describe('shipped schemas', () => {
  it.each(files(ROOT).map((f) => [relative(ROOT, f), f]))('%s is valid against the meta-schema', (_name, file) => {
    const ajv = createAjv();
    const schema = JSON.parse(readFileSync(file, 'utf8')) as object;
    const valid = ajv.validateSchema(schema);
    expect(ajv.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('a schema with a malformed keyword fails the same check', () => {
    const ajv = createAjv();
    expect(ajv.validateSchema({ type: 'object', properties: { a: { type: 'strng' } } })).toBe(false);
  });
});
