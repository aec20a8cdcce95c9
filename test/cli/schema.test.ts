/** The combined schema editors use: up to date, what the shipped configs name, and as strict as the loader. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { isDuration } from '../../src/config/duration.js';
import { runInProcess } from './harness.js';

const FULL = 'schemas/gateway.full.schema.json';
const CONFIGS = ['gateway.yaml', ...readdirSync('examples').filter((f) => f.endsWith('.yaml')).map((f) => join('examples', f))];

// A plain ajv, as an editor or CI job would use: no defaults filled in, no Switchboard code.
function compileFull() {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  (addFormatsModule as unknown as (a: Ajv) => Ajv)(ajv);
  ajv.addFormat('duration', { type: 'string', validate: isDuration });
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  return ajv.compile(JSON.parse(readFileSync(FULL, 'utf8')) as object);
}

describe('schemas/gateway.full.schema.json', () => {
  it('is what `switchboard schema` prints now (regenerate with --out after changing a schema)', async () => {
    const got = await runInProcess(['schema'], {});
    expect(got.code).toBe(0);
    expect(got.stdout === readFileSync(FULL, 'utf8'), `${FULL} is stale: run npx switchboard schema --out ${FULL}`).toBe(true);
  });

  it.each(CONFIGS)('%s names it on its first line, by a path that resolves from the file, and validates against it', (file) => {
    const [first] = readFileSync(file, 'utf8').split('\n');
    const named = /^# yaml-language-server: \$schema=(\S+)$/.exec(first)?.[1];
    expect(named).toBeDefined();
    expect(resolve(dirname(file), named!)).toBe(resolve(FULL));
    expect(existsSync(resolve(dirname(file), named!))).toBe(true);
    const validate = compileFull();
    expect(validate(parse(readFileSync(file, 'utf8'))), JSON.stringify(validate.errors)).toBe(true);
  });

  it('holds each plugin\'s options: a misspelt option or a literal that breaks its pattern is refused, a placeholder is not', () => {
    const validate = compileFull();
    const base = parse(readFileSync('examples/self-hosted.yaml', 'utf8')) as { providers: Record<string, Record<string, unknown>> };
    const withSms = (sms: Record<string, unknown>) => ({ ...base, providers: { ...base.providers, sms: { ...base.providers.sms, ...sms } } });
    expect(validate(withSms({ acountSid: 'AC0123' }))).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ keyword: 'additionalProperties', params: { additionalProperty: 'acountSid' } }));
    expect(validate(withSms({ accountSid: 'XX123' }))).toBe(false);
    expect(validate(withSms({ accountSid: `AC${'0'.repeat(32)}` }))).toBe(true);
    expect(validate(withSms({ accountSid: '${file:/etc/switchboard/sid}' }))).toBe(true);
    // The mock's own `outcome`, reached through its hoisted $defs.
    expect(validate({ ...base, providers: { m: { plugin: 'mock', outcome: 'sometimes' } } })).toBe(false);
    expect(validate({ ...base, providers: { m: { plugin: 'mock', outcome: 'read' } } })).toBe(true);
    // Core settings of every instance still stand beside the plugin's own.
    expect(validate(withSms({ rateLimit: { mps: 5 }, senders: ['+15550001111'] }))).toBe(true);
  });
});
