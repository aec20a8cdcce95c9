import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { builtinPlugins } from '../../src/registry.js';
import { ACCOUNT_SID, AUTH_TOKEN, BUSINESS, EXAMPLE, WEBHOOK_SECRET } from './setup.js';

/** The sample's variables with values a real tenant would have (no fakes needed to load). */
const ENV = {
  TWILIO_ACCOUNT_SID: ACCOUNT_SID,
  TWILIO_AUTH_TOKEN: AUTH_TOKEN,
  TWILIO_PHONE_NUMBER: BUSINESS,
  AVAYA_INFINITY_HOST: 'https://core.acme.ec.avayacloud.com',
  AVAYA_INFINITY_ACCOUNT_ID: 'acc-0001',
  AVAYA_INFINITY_CONNECTOR_ID: '591c2529-c3a3-4062-a213-b239c18f543b',
  AVAYA_INFINITY_CLIENT_ID: 'connector-client',
  AVAYA_INFINITY_CLIENT_SECRET: 'connector-client-secret',
  AVAYA_INFINITY_WEBHOOK_SECRET: WEBHOOK_SECRET,
  SWITCHBOARD_ADMIN_KEY: 'admin-key-0123456789',
};

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const load = (env: Record<string, string>) => loadConfig(EXAMPLE, { env, builtins: builtinPlugins });

async function refusal(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).errors.join('\n');
}

describe('examples/avaya-twilio.yaml', () => {
  it('loads with the sample connector\'s environment variables', async () => {
    const state = mkdtempSync(join(tmpdir(), 'sb-example-'));
    dirs.push(state);
    const { config, secrets } = await load({ ...ENV, STATE_DIRECTORY: state });
    expect(config.compat.avayaConnector).toEqual({ bridge: 'support', twilio: 'twilio-us', allowUpdates: true });
    expect(config.bridges.support).toMatchObject({ contactCenter: 'avaya', numbers: [BUSINESS], reply: { route: 'agent-replies' } });
    expect(config.inbound[0]).toMatchObject({ match: { provider: 'twilio-us', to: BUSINESS }, bridge: 'support' });
    expect(config.providers.avaya).toMatchObject({ baseUrl: ENV.AVAYA_INFINITY_HOST, accountId: ENV.AVAYA_INFINITY_ACCOUNT_ID, clientId: ENV.AVAYA_INFINITY_CLIENT_ID });
    for (const s of [AUTH_TOKEN, ENV.AVAYA_INFINITY_CLIENT_SECRET, WEBHOOK_SECRET]) expect(secrets.has(s)).toBe(true);
  });

  it('names each missing variable', async () => {
    const { AVAYA_INFINITY_CLIENT_SECRET: _s, TWILIO_AUTH_TOKEN: _t, ...partial } = ENV;
    const errors = await refusal(load(partial));
    expect(errors).toMatch(/avaya-twilio\.yaml:\d+:\d+: environment variable TWILIO_AUTH_TOKEN is not set/);
    expect(errors).toMatch(/avaya-twilio\.yaml:\d+:\d+: environment variable AVAYA_INFINITY_CLIENT_SECRET is not set/);
  });
});

describe('the config overlay at load', () => {
  function withOverlay(overlay: string): Record<string, string> {
    const state = mkdtempSync(join(tmpdir(), 'sb-overlay-'));
    dirs.push(state);
    mkdirSync(state, { recursive: true });
    writeFileSync(join(state, 'config-overlay.json'), overlay);
    return { ...ENV, STATE_DIRECTORY: state };
  }

  it('merges over the connector\'s two instances only, its secrets in the secret set', async () => {
    const env = withOverlay(JSON.stringify({ providers: { 'twilio-us': { authToken: 'overlaid-token-1' }, avaya: { clientSecret: 'overlaid-secret-2' }, other: { authToken: 'ignored' } } }));
    const { config, secrets } = await load(env);
    expect(config.providers['twilio-us'].authToken).toBe('overlaid-token-1');
    expect(config.providers.avaya.clientSecret).toBe('overlaid-secret-2');
    expect(Object.hasOwn(config.providers, 'other')).toBe(false);
    expect(secrets.has('overlaid-token-1') && secrets.has('overlaid-secret-2')).toBe(true);
  });

  it('a broken overlay refuses to load, naming the file', async () => {
    expect(await refusal(load(withOverlay('{"providers": ')))).toMatch(/config-overlay\.json: is not valid JSON/);
    expect(await refusal(load(withOverlay('{"providers": {"avaya": {"timeout": 5}}}')))).toMatch(/config-overlay\.json: providers\.avaya must map option names to strings/);
  });

  it('cannot change an instance\'s plugin', async () => {
    const { config } = await load(withOverlay(JSON.stringify({ providers: { 'twilio-us': { plugin: 'mock' } } })));
    expect(config.providers['twilio-us'].plugin).toBe('twilio');
  });

  it('is not read without compat.avayaConnector', async () => {
    const env = withOverlay('not json at all');
    const dir = mkdtempSync(join(tmpdir(), 'sb-nocompat-'));
    dirs.push(dir);
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, readFileSync(EXAMPLE, 'utf8').replace(/\ncompat:[\s\S]*$/, '\n'));
    await expect(loadConfig(file, { env, builtins: builtinPlugins })).resolves.toBeDefined();
  });
});

describe('compat.avayaConnector cross-checks', () => {
  async function loadEdited(edit: (text: string) => string): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'sb-cc-'));
    dirs.push(dir);
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, edit(readFileSync(EXAMPLE, 'utf8')));
    return refusal(loadConfig(file, { env: { ...ENV, STATE_DIRECTORY: dir }, builtins: builtinPlugins }));
  }

  it('names an unknown bridge and a twilio instance of another plugin, with line:col', async () => {
    expect(await loadEdited((t) => t.replace('bridge: support\n    twilio:', 'bridge: sales\n    twilio:'))).toMatch(/gateway\.yaml:\d+:\d+: compat\.avayaConnector: unknown bridge "sales"/);
    expect(await loadEdited((t) => t.replace('twilio: twilio-us\n', 'twilio: avaya\n'))).toMatch(/gateway\.yaml:\d+:\d+: compat\.avayaConnector: provider "avaya" is an instance of plugin avaya-infinity/);
  });
});
