/**
 * The start-up cost of issue 14: a built-in plugin's modules are imported when a config names it,
 * not at every start. What the loader does with the plugins it names stays as it was: unknown
 * names are errors at their place in the file, user plugins from a path load (and may take a
 * built-in's name), secrets of a refused file are still known.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { definitionOf, loadConfig, type KnownPlugin } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { allBuiltinPlugins, builtinPlugins } from '../../src/registry.js';
import { configText } from '../helpers/gateway.js';

const TOKEN = 'tok-0123456789abcdef';
const TWILIO = `tw: { plugin: twilio, accountSid: "AC${'0'.repeat(32)}", authToken: ${TOKEN}, from: "+15550001111", channels: [sms] }`;

function write(text: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-lazy-plugins-'));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  writeFileSync(join(dir, 'gateway.yaml'), text);
  return join(dir, 'gateway.yaml');
}

/** The real built-ins, each import counted. */
function counted() {
  const imported: string[] = [];
  const builtins = new Map<string, KnownPlugin>([...builtinPlugins].map(([name, known]) => [name, () => (imported.push(name), definitionOf(known))]));
  return { builtins, imported };
}

const config = (providers: string, step = 'sms') => configText(`
providers:
  ${providers.split('\n').join('\n  ')}
routes:
  default:
    steps:
      - { channel: sms, providers: [${step}], until: sent, within: 1m }
`);

async function refusal(file: string, builtins: ReadonlyMap<string, KnownPlugin>): Promise<ConfigError> {
  const err = await loadConfig(file, { env: {}, builtins }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('built-in plugins imported when a config names them', () => {
  it('imports only the plugins the providers name, once each, and builds their instances from them', async () => {
    const { builtins, imported } = counted();
    const loaded = await loadConfig(write(config(`sms: { plugin: mock, channels: [sms] }\nsms2: { plugin: mock, channels: [sms] }`)), { env: {}, builtins });
    expect(imported).toEqual(['mock']);
    expect(loaded.plugins.get('sms')?.name).toBe('mock');
    expect(loaded.plugins.get('sms2')).toBe(loaded.plugins.get('sms'));

    const other = counted();
    const twilio = await loadConfig(write(config(TWILIO, 'tw')), { env: {}, builtins: other.builtins });
    expect(other.imported).toEqual(['twilio']);
    expect(twilio.plugins.get('tw')?.name).toBe('twilio');
    // Its options were validated against its schema: defaults filled in, secrets known.
    expect(twilio.secrets.has(TOKEN)).toBe(true);
  });

  it('names every built-in by its definition\'s own name', async () => {
    const all = await allBuiltinPlugins();
    expect([...all.keys()].sort()).toEqual([...builtinPlugins.keys()].sort());
    for (const [name, plugin] of all) expect(plugin.name).toBe(name);
  });

  it('refuses an unknown plugin name at its line and column, listing the known ones, without importing any', async () => {
    const { builtins, imported } = counted();
    const err = await refusal(write(config('sms: { plugin: mokc, channels: [sms] }')), builtins);
    expect(err.errors).toEqual([expect.stringMatching(/^gateway\.yaml:\d+:\d+: providers\.sms: unknown plugin "mokc" \(known: mock, twilio, .*acs\)$/)]);
    const [, line, column] = /^gateway\.yaml:(\d+):(\d+):/.exec(err.errors[0])!;
    const text = config('sms: { plugin: mokc, channels: [sms] }').split('\n');
    expect(text[Number(line) - 1].slice(Number(column) - 1)).toMatch(/^mokc\b/);
    expect(imported).toEqual([]);
  });

  it('loads a user plugin from a path, also under a built-in\'s name, which is then not imported', async () => {
    const { builtins, imported } = counted();
    const plugin = `export default { name: 'mine', optionsSchema: { type: 'object', additionalProperties: false, properties: { channels: { type: 'array' } } }, channels: () => ['sms'], create: () => ({ send: async () => ({ providerMessageId: 'x', status: 'sent' }) }) };`;
    const file = write(config('sms: { plugin: twilio, channels: [sms] }\nown: { plugin: mine }').replace('providers:', 'plugins:\n  twilio: { path: ./mine.mjs }\n  mine: { path: ./mine.mjs }\nproviders:'), { 'mine.mjs': plugin });
    const loaded = await loadConfig(file, { env: {}, builtins });
    expect(loaded.plugins.get('sms')?.name).toBe('mine');
    expect(loaded.plugins.get('own')).toBe(loaded.plugins.get('sms'));
    expect(imported).toEqual([]);
  });

  it('refuses a config whose built-in plugin cannot be imported, naming it, instead of failing the start otherwise', async () => {
    const builtins = new Map<string, KnownPlugin>([...builtinPlugins, ['mock', () => Promise.reject(new Error('ENOENT: no such module'))]]);
    const err = await refusal(write(config('sms: { plugin: mock, channels: [sms] }')), builtins);
    expect(err.errors).toEqual(['gateway.yaml: built-in plugin mock cannot be loaded: ENOENT: no such module']);
  });

  it('still knows a named plugin\'s secrets when the file fails the gateway schema', async () => {
    const { builtins, imported } = counted();
    const err = await refusal(write(config(TWILIO, 'tw').replace('routes:', 'bogus: 1\nroutes:')), builtins);
    expect(err.errors.join('\n')).toMatch(/unknown property "bogus"/);
    expect(err.secrets.has(TOKEN)).toBe(true);
    expect(imported).toEqual(['twilio']);
  });
});
