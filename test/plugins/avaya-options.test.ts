import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { avayaInfinityPlugin } from '../../plugins/avaya-infinity/index.js';
import { createAjv } from '../../src/config/ajv.js';
import { loadConfig, type KnownPlugin } from '../../src/config/load.js';
import { collectSecrets } from '../../src/config/secrets.js';
import { ConfigError } from '../../src/errors.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { isContactCenter, type PluginDefinition } from '../../src/plugin-api.js';
import { builtinPlugins } from '../../src/registry.js';
import { buildRuntime } from '../../src/runtime/runtime.js';

const REQUIRED = { baseUrl: 'https://core.acme.ec.avayacloud.com', accountId: 'ACC0001', connectorId: 'conn-1', clientId: 'switchboard', clientSecret: 'cs' };

describe('avaya-infinity options schema', () => {
  const validate = createAjv().compile(avayaInfinityPlugin.optionsSchema);
  const check = (options: Record<string, unknown>) => {
    const copy = structuredClone(options);
    return { valid: validate(copy), copy };
  };

  it("fills the sample's paths and the timeout", () => {
    const { valid, copy } = check(REQUIRED);
    expect(valid).toBe(true);
    expect(copy).toEqual({
      ...REQUIRED,
      sendPath: '/api/digital/messaging/v1/accounts/{accountId}/messages',
      tokenPath: '/auth/realms/avaya/protocol/openid-connect/token',
      timeout: '10s',
    });
  });

  it.each([
    ['the API reference path and a webhook secret', { sendPath: '/api/digital/messaging/v1/messages', webhookSecret: 'w' }],
    ['a trailing slash on baseUrl and a local fake', { baseUrl: 'http://127.0.0.1:4010/' }],
    ['destinations per channel', { destinations: { whatsapp: 'wa-integration-7', sms: '+15557654321' } }],
  ])('accepts %s', (_name, extra) => {
    expect(check({ ...REQUIRED, ...extra }).valid).toBe(true);
  });

  it.each([
    ['a baseUrl with a path', { baseUrl: 'https://core.acme.ec.avayacloud.com/api' }],
    ['a baseUrl without a scheme (the sample adds https://; we say so instead)', { baseUrl: 'core.acme.ec.avayacloud.com' }],
    ['a baseUrl with another scheme', { baseUrl: 'ftp://core.acme.ec.avayacloud.com' }],
    ['no client secret', { clientSecret: undefined }],
    ['an empty connector id', { connectorId: '' }],
    ['an account id with a slash', { accountId: 'a/b' }],
    ['a relative sendPath', { sendPath: 'api/digital/messaging/v1/messages' }],
    ['an unknown property', { host: 'core.acme.ec.avayacloud.com' }],
    ['a destination for an unknown channel', { destinations: { fax: 'x' } }],
    ['a malformed timeout', { timeout: 'soon' }],
  ])('refuses %s', (_name, extra) => {
    const options: Record<string, unknown> = { ...REQUIRED, ...extra };
    for (const [k, v] of Object.entries(options)) if (v === undefined) delete options[k];
    expect(check(options).valid).toBe(false);
  });

  it('marks the client secret and the webhook secret as secrets, nothing else', () => {
    const secrets = new Set<string>();
    collectSecrets(avayaInfinityPlugin.optionsSchema, { ...REQUIRED, clientSecret: 'client-secret-value', webhookSecret: 'webhook-secret-value' }, secrets);
    expect([...secrets].sort()).toEqual(['client-secret-value', 'webhook-secret-value']);
  });
});

describe('avaya-infinity in a gateway config', () => {
  const builtins = new Map<string, KnownPlugin>([...builtinPlugins, ['avaya-infinity', avayaInfinityPlugin as unknown as PluginDefinition<never>]]);
  const write = (text: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'sb-avaya-')), 'gateway.yaml');
    writeFileSync(file, text);
    return file;
  };
  const avaya = `  avaya: { plugin: avaya-infinity, baseUrl: "https://core.acme.ec.avayacloud.com", accountId: ACC0001, connectorId: conn-1, clientId: switchboard, clientSecret: cs }`;

  it('loads, and the runtime builds it like any instance, as a contact center', async () => {
    const loaded = await loadConfig(write(`providers:
  sms: { plugin: mock, channels: [sms] }
${avaya}
routes:
  default:
    steps:
      - { channel: sms, providers: [sms], until: accepted, within: 1m }
`), { env: {}, builtins });
    const runtime = buildRuntime(loaded, {
      logger: pino({ level: 'silent' }), clock: { now: Date.now, setTimeout, clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
      metrics: createMetrics(new Registry()), loopback: async () => {},
    });
    const instance = runtime.providers.get('avaya');
    expect(isContactCenter(instance)).toBe(true);
    expect(isContactCenter(runtime.providers.get('sms'))).toBe(false);
    expect(Object.keys(instance?.webhooks ?? {})).toEqual(['events']);
  });

  it('a route step naming it is a config error: a contact center is no route provider', async () => {
    const err = await loadConfig(write(`providers:
${avaya}
routes:
  default:
    steps:
      - { channel: sms, providers: [avaya], until: accepted, within: 1m }
`), { env: {}, builtins }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).errors).toEqual([expect.stringMatching(/provider "avaya" does not support channel sms/)]);
  });
});
