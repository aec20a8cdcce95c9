import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acsPlugin, createAcsProvider, type AcsOptions } from '../../plugins/acs/index.js';
import { ProviderError, type OutboundMessage } from '../../src/plugin-api.js';
import { startAcsFake, type AcsFake } from '../fakes/acs-fake.js';
import { startEntraFake, type EntraFake } from '../fakes/entra-fake.js';
import { eventually } from '../helpers/gateway.js';
import { pluginDeps } from '../helpers/plugin-deps.js';
import { configureOptions, optionErrors } from '../helpers/plugin-options.js';

const WA_CHANNEL = '7c3f1e0a-1111-4a2b-9c3d-0000000000aa';
const SMS_CHANNEL = '7c3f1e0a-2222-4a2b-9c3d-0000000000bb';
const TO = '+15552223333';

let acs: AcsFake;
/** Tokens the fake managed-identity endpoint issued. */
const identityTokens = new Set<string>();
let entra: EntraFake;
let shortEntra: EntraFake;
beforeAll(async () => {
  entra = await startEntraFake({ expiresIn: 3600 });
  // Inside the bearer policy's two-minute refresh window and MSAL's five: every send refreshes.
  shortEntra = await startEntraFake({ expiresIn: 100 });
  acs = await startAcsFake({ channels: [WA_CHANNEL, SMS_CHANNEL], bearer: (t) => entra.isLive(t) || shortEntra.isLive(t) || identityTokens.has(t) });
});
afterAll(async () => {
  await acs.close();
  await entra.close();
  await shortEntra.close();
});

const keyOptions = (extra: Record<string, unknown> = {}): AcsOptions =>
  configureOptions(acsPlugin, { endpoint: acs.url, accessKey: acs.accessKey, allowInsecure: true, channelRegistrations: { whatsapp: WA_CHANNEL, sms: SMS_CHANNEL }, timeout: '5s', ...extra });
const entraOptions = (fake: EntraFake, extra: Record<string, unknown> = {}): AcsOptions =>
  configureOptions(acsPlugin, {
    endpoint: acs.url, tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: fake.clientSecret, authorityHost: fake.url,
    allowInsecure: true, channelRegistrations: { whatsapp: WA_CHANNEL }, timeout: '5s', ...extra,
  });

let seq = 0;
const message = (overrides: Partial<OutboundMessage> = {}): OutboundMessage => {
  seq += 1;
  return { attemptId: `att-${seq}`, messageId: `msg-${seq}`, channel: 'whatsapp', to: TO, content: { text: 'Hello' }, ...overrides };
};
const send = (options: AcsOptions, msg: OutboundMessage) => createAcsProvider(options, pluginDeps('acs')).send(msg, { signal: new AbortController().signal });
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected the send to fail'); }, (e: unknown) => e as ProviderError);

describe('acs plugin: sending with the real SDK', () => {
  it('signs with the access key as the fake recomputes it, and sends a template with values and bindings from the variables', async () => {
    const msg = message({ content: { template: { name: 'order_update', language: 'en_US', variables: { orderId: 'A123', eta: 'Friday' } } } });
    const receipt = await send(keyOptions(), msg);
    const sent = acs.sent.at(-1)!;
    expect(receipt).toEqual({ providerMessageId: sent.messageId, status: 'queued', details: { kind: 'template', channelRegistrationId: WA_CHANNEL } });
    expect(sent.auth).toBe('hmac');
    expect(sent.apiVersion).toBe('2024-08-30');
    expect(sent.body).toEqual({
      channelRegistrationId: WA_CHANNEL, to: [TO], kind: 'template',
      template: {
        name: 'order_update', language: 'en_US',
        values: [{ kind: 'text', name: 'orderId', text: 'A123' }, { kind: 'text', name: 'eta', text: 'Friday' }],
        bindings: { kind: 'whatsApp', body: [{ refValue: 'orderId' }, { refValue: 'eta' }] },
      },
    });
  });

  it('a wrong access key is refused by the signature check and classified auth', async () => {
    const wrong = Buffer.alloc(32, 7).toString('base64');
    const err = await failure(send(keyOptions({ accessKey: wrong }), message()));
    expect(acs.lastRefusal).toBe('signature mismatch');
    expect(err).toMatchObject({ reason: 'auth', retryable: false, status: 401, providerCode: 'Unauthorized' });
    expect(err.message).not.toContain(wrong);
  });

  it('sends text and media through the channel\'s registration, and apiVersion overrides the SDK default', async () => {
    await send(keyOptions({ apiVersion: '2024-11-15' }), message({ channel: 'sms', content: { text: 'sms via messaging connect' } }));
    expect(acs.sent.at(-1)).toMatchObject({ apiVersion: '2024-11-15', body: { channelRegistrationId: SMS_CHANNEL, kind: 'text', content: 'sms via messaging connect' } });
    const receipt = await send(keyOptions(), message({ content: { text: 'the photo', media: ['https://cdn.example.com/a.jpg', 'https://cdn.example.com/b.jpg'] } }));
    expect(acs.sent.at(-1)?.body).toEqual({ channelRegistrationId: WA_CHANNEL, to: [TO], kind: 'image', mediaUri: 'https://cdn.example.com/a.jpg', caption: 'the photo' });
    expect(receipt.details).toMatchObject({ mediaDropped: 1 });
  });

  it('classifies answers: 503 and 429 retryable with Retry-After, 400 permanent with the Azure error code and message', async () => {
    acs.failNext({ status: 503, headers: { 'retry-after': '4' } });
    expect(await failure(send(keyOptions(), message()))).toMatchObject({ reason: 'server', retryable: true, status: 503, retryAfterMs: 4000, providerCode: 'ServiceUnavailable' });
    acs.failNext({ status: 429, headers: { 'retry-after': '2' } });
    expect(await failure(send(keyOptions(), message()))).toMatchObject({ reason: 'rate_limited', retryable: true, retryAfterMs: 2000 });
    acs.failNext({ status: 400, body: { error: { code: 'InvalidTemplate', message: 'Template not found' } } });
    const bad = await failure(send(keyOptions(), message()));
    expect(bad).toMatchObject({ reason: 'client', retryable: false, status: 400, providerCode: 'InvalidTemplate' });
    expect(bad.message).toContain('Template not found');
    const before = acs.sent.length;
    acs.failNext({ delayMs: 600 });
    expect(await failure(send(keyOptions({ timeout: '200ms' }), message()))).toMatchObject({ reason: 'timeout', retryable: true });
    // The fake still takes the abandoned request once its delay ends: it lands here, not in a later test.
    await eventually(() => expect(acs.sent.length).toBe(before + 1));
  });

  it('refuses a channel without a registration, and an SMS with nothing but a template, before any request', async () => {
    const before = acs.requests.length;
    const options = keyOptions({ channelRegistrations: { whatsapp: WA_CHANNEL } });
    expect(await failure(send(options, message({ channel: 'sms' })))).toMatchObject({ reason: 'client', providerCode: 'channel-not-enabled' });
    expect(await failure(send(keyOptions(), message({ channel: 'sms', content: { template: { name: 'order_update' } } })))).toMatchObject({ reason: 'client', providerCode: 'request-invalid' });
    expect(acs.requests.length).toBe(before);
    expect(acsPlugin.channels(options)).toEqual(['whatsapp']);
  });
});

describe('acs plugin: options', () => {
  it('allowInsecure only for loopback hosts, and plain http only with it', () => {
    const deps = pluginDeps('acs');
    const base = { accessKey: 'a2V5', channelRegistrations: { whatsapp: WA_CHANNEL }, authorityHost: 'https://login.microsoftonline.com', defaultLanguage: 'en_US', timeout: '1s' };
    expect(() => createAcsProvider({ ...base, endpoint: 'https://contoso.communication.azure.com', allowInsecure: true }, deps)).toThrow(/only allowed when endpoint is a loopback host/);
    expect(() => createAcsProvider({ ...base, endpoint: 'http://contoso.communication.azure.com', allowInsecure: false }, deps)).toThrow(/plain http/);
    expect(() => createAcsProvider({ ...base, endpoint: 'http://127.0.0.1:9', allowInsecure: true }, deps)).not.toThrow();
  });

  it('takes exactly one way to authenticate', () => {
    const base = { endpoint: 'https://contoso.communication.azure.com', channelRegistrations: { whatsapp: WA_CHANNEL } };
    expect(optionErrors(acsPlugin, { ...base, accessKey: 'a2V5' })).toEqual([]);
    expect(optionErrors(acsPlugin, { ...base, managedIdentity: true })).toEqual([]);
    expect(optionErrors(acsPlugin, { ...base, tenantId: 't', clientId: 'c', clientSecret: 's' })).toEqual([]);
    expect(optionErrors(acsPlugin, base)).not.toEqual([]);
    expect(optionErrors(acsPlugin, { ...base, accessKey: 'a2V5', tenantId: 't', clientId: 'c', clientSecret: 's' })).not.toEqual([]);
    expect(optionErrors(acsPlugin, { ...base, accessKey: 'a2V5', channelRegistrations: { whatsapp: 'not-a-guid' } })).not.toEqual([]);
  });
});

describe('acs plugin: Microsoft Entra credentials (@azure/identity against the fake token endpoint)', () => {
  it('sends with a bearer token for the ACS scope, and reuses it while it is fresh', async () => {
    const provider = createAcsProvider(entraOptions(entra), pluginDeps('acs'));
    // Its own text: a request an earlier test's client sent late must not count as one of these.
    const text = 'entra: a token reused';
    await provider.send(message({ content: { text } }), { signal: new AbortController().signal });
    await provider.send(message({ content: { text } }), { signal: new AbortController().signal });
    expect(entra.grants).toHaveLength(1);
    expect(entra.grants[0].form).toMatchObject({ grant_type: 'client_credentials', client_id: entra.clientId, scope: 'https://communication.azure.com//.default' });
    const ours = acs.sent.filter((s) => s.body.content === text);
    expect(ours.map((s) => [s.auth, s.token])).toEqual([['bearer', entra.grants[0].token], ['bearer', entra.grants[0].token]]);
  });

  it('a token inside its refresh window is replaced in the background: a later send carries the new one', async () => {
    const provider = createAcsProvider(entraOptions(shortEntra), pluginDeps('acs'));
    const sendOne = async () => {
      await provider.send(message(), { signal: new AbortController().signal });
      return acs.sent.at(-1)?.token;
    };
    const first = await sendOne();
    // The policy starts the refresh beside the send that found the token near its expiry; a
    // following send carries the new token, one the fake issued and still takes.
    const later = await eventually(async () => {
      const token = await sendOne();
      expect(token).not.toBe(first);
      return token;
    });
    expect(shortEntra.grants.map((g) => g.token)).toContain(later);
  });

  it('a refused client secret is an auth failure; a token endpoint 503 is retryable', async () => {
    const refused = await failure(send(entraOptions(entra, { clientSecret: 'wrong-secret' }), message()));
    expect(refused).toMatchObject({ reason: 'auth', retryable: false });
    expect(refused.message).not.toContain('wrong-secret');
    // MSAL retries a 5xx itself; with the endpoint down the send ends at its deadline, retryable.
    shortEntra.failNextToken(503, 50);
    expect(await failure(send(entraOptions(shortEntra, { timeout: '500ms' }), message()))).toMatchObject({ retryable: true });
  });
});

describe('acs plugin: the host\'s managed identity (@azure/identity against a fake App Service identity endpoint)', () => {
  it('gets its token from IDENTITY_ENDPOINT with the IDENTITY_HEADER secret, for the ACS resource, and sends with it', async () => {
    const asked: Array<{ path: string; resource: string | null; header: string | undefined }> = [];
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://identity');
      asked.push({ path: url.pathname, resource: url.searchParams.get('resource'), header: req.headers['x-identity-header'] as string | undefined });
      if (req.headers['x-identity-header'] !== 'identity-header-secret') return res.writeHead(401).end();
      const token = `mi-token-${asked.length}`;
      identityTokens.add(token);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, expires_on: String(Math.floor(Date.now() / 1000) + 3600), resource: url.searchParams.get('resource'), token_type: 'Bearer' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };
    process.env.IDENTITY_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}/msi/token`;
    process.env.IDENTITY_HEADER = 'identity-header-secret';
    try {
      const options: AcsOptions = configureOptions(acsPlugin, { endpoint: acs.url, managedIdentity: true, allowInsecure: true, channelRegistrations: { whatsapp: WA_CHANNEL }, timeout: '5s' });
      const provider = createAcsProvider(options, pluginDeps('acs'));
      await provider.send(message(), { signal: new AbortController().signal });
      await provider.send(message(), { signal: new AbortController().signal });
      expect(asked).toHaveLength(1);
      expect(asked[0]).toMatchObject({ path: '/msi/token', header: 'identity-header-secret' });
      expect(asked[0].resource).toMatch(/^https:\/\/communication\.azure\.com\/?$/);
      expect(acs.sent.slice(-2).map((s) => [s.auth, s.token])).toEqual([['bearer', 'mi-token-1'], ['bearer', 'mi-token-1']]);
    } finally {
      for (const [name, value] of [['IDENTITY_ENDPOINT', saved.endpoint], ['IDENTITY_HEADER', saved.header]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      server.close();
    }
  });
});
