import type { KnownPlugin } from '../../src/config/load.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { avayaInfinityPlugin, createAvayaContactCenter, type AvayaOptions } from '../../plugins/avaya-infinity/index.js';
import type { ContactCenterWebhookHandler, ContactCenterWebhookResult, PluginDefinition, WebhookRequest } from '../../src/plugin-api.js';
import { builtinPlugins } from '../../src/registry.js';
import { healthCheckEvent, messagesEvent, postEvent, signEvent } from '../fakes/avaya-fake.js';
import { API_KEY, configText, startGateway, type TestGateway } from '../helpers/gateway.js';
import { metric } from '../helpers/metrics.js';
import { pluginDeps } from '../helpers/plugin-deps.js';

const SECRET = 'whsec-avaya-0123456789';
const CUSTOMER = '+15551230000';
const BUSINESS = '+15557654321';

const options = (extra: Partial<AvayaOptions> = {}): AvayaOptions => Object.freeze({
  baseUrl: 'http://127.0.0.1:9', accountId: 'ACC0001', connectorId: 'conn-1', clientId: 'c', clientSecret: 's', webhookSecret: SECRET,
  sendPath: '/api/digital/messaging/v1/accounts/{accountId}/messages', tokenPath: '/auth/realms/avaya/protocol/openid-connect/token', timeout: '1s', ...extra,
});

const hookOf = (o: AvayaOptions) => createAvayaContactCenter(o, pluginDeps('avaya')).webhooks?.events as ContactCenterWebhookHandler;
const hook = hookOf(options());

/** `signature: null` sends no header. */
function request(rawBody: string, signature: string | null): WebhookRequest {
  let body: unknown;
  try { body = JSON.parse(rawBody); } catch { body = undefined; }
  return {
    method: 'POST', url: 'https://gw.example.test/webhooks/avaya/events', query: {}, rawBody, body,
    headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'x-avaya-event-signature': signature }) },
  };
}

async function signed(event: unknown, handler = hook): Promise<ContactCenterWebhookResult> {
  const { rawBody, signature } = signEvent(SECRET, event);
  return handler(request(rawBody, signature));
}

describe('avaya-infinity events webhook: signature', () => {
  const event = messagesEvent({ from: BUSINESS, to: CUSTOMER, text: 'Hello, this is Ann' });

  it('accepts a signature over the raw body', async () => {
    expect((await signed(event)).ok).toBe(true);
  });

  it("accepts a signature over the re-serialized JSON (the sample's way) when the bytes sent differ", async () => {
    const pretty = JSON.stringify(event, null, 2);
    const { signature } = signEvent(SECRET, JSON.stringify(event));
    expect((await hook(request(pretty, signature))).ok).toBe(true);
    // And over the pretty bytes themselves.
    expect((await hook(request(pretty, signEvent(SECRET, pretty).signature))).ok).toBe(true);
  });

  it('refuses a forged signature or a tampered body with 403', async () => {
    const forged = signEvent('not-the-secret', event);
    expect(await hook(request(forged.rawBody, forged.signature))).toMatchObject({ ok: false, status: 403 });
    const { rawBody, signature } = signEvent(SECRET, event);
    expect(await hook(request(rawBody.replace('Hello', 'Send me your PIN'), signature))).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a missing or malformed header with 401', async () => {
    const { rawBody, signature } = signEvent(SECRET, event);
    const digest = signature.slice('sha256='.length);
    expect(await hook(request(rawBody, null))).toMatchObject({ ok: false, status: 401, reason: expect.stringMatching(/missing/) });
    for (const bad of [digest, 'sha256=', `sha1=${digest}`, `sha256=${Buffer.from(digest, 'base64').toString('hex')}`, `sha256=${digest}, sha256=${digest}`]) {
      expect(await hook(request(rawBody, bad))).toMatchObject({ ok: false, status: 401, reason: expect.stringMatching(/malformed/) });
    }
  });

  it('takes only the canonical base64 of the digest, though other spellings decode to the same bytes', async () => {
    const { rawBody, signature } = signEvent(SECRET, event);
    const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    // The last digit before `=` carries two spare bits: setting one keeps the decoded digest.
    const last = signature.at(-2)!;
    const twin = `${signature.slice(0, -2)}${digits[digits.indexOf(last) + 1]}=`;
    expect(Buffer.from(twin.slice('sha256='.length), 'base64')).toEqual(Buffer.from(signature.slice('sha256='.length), 'base64'));
    expect((await hook(request(rawBody, signature))).ok).toBe(true);
    expect(await hook(request(rawBody, twin))).toMatchObject({ ok: false, status: 401, reason: expect.stringMatching(/malformed/) });
  });

  it('without a configured webhookSecret refuses every event, signed or not', async () => {
    const open = hookOf(options({ webhookSecret: undefined }));
    expect(await signed(healthCheckEvent(), open)).toMatchObject({ ok: false, status: 401, reason: expect.stringMatching(/webhookSecret/) });
    expect(await open(request(JSON.stringify(event), null))).toMatchObject({ ok: false, status: 401 });
  });
});

describe('avaya-infinity events webhook: parsing', () => {
  it('reads the signed bytes, not a body another content type was parsed into', async () => {
    const { rawBody, signature } = signEvent(SECRET, messagesEvent({ from: BUSINESS, to: CUSTOMER, text: 'From the raw bytes', eventId: 'evt-raw' }));
    const asForm = { ...request(rawBody, signature), body: { text: 'from a form parse' } };
    asForm.headers = { ...asForm.headers, 'content-type': 'application/x-www-form-urlencoded' };
    expect(await hook(asForm)).toMatchObject({ ok: true, events: [{ eventId: 'evt-raw', text: 'From the raw bytes' }] });
    // A JSON body comes as the parser read it, which is those same bytes.
    expect(await hook(request(rawBody, signature))).toMatchObject({ ok: true, events: [{ eventId: 'evt-raw', text: 'From the raw bytes' }] });
  });

  it('health_check → 200 with no events', async () => {
    expect(await signed(healthCheckEvent())).toEqual({ ok: true, events: [] });
  });

  it("an agent's message → one agent event carrying what the bridge needs", async () => {
    const event = messagesEvent({ from: BUSINESS, to: CUSTOMER, text: 'Hello, this is Ann', eventId: 'evt-1', conversationSessionId: 'conv-9' });
    expect(await signed(event)).toEqual({
      ok: true,
      events: [{
        type: 'agent', eventId: 'evt-1', senderType: 'agent', to: CUSTOMER, from: BUSINESS, text: 'Hello, this is Ann',
        conversationId: 'conv-9', channel: 'text', providerMessageId: event.messageId, at: event.eventTimestamp,
        details: { accountId: 'ACC0001', connectorId: event.connectorId },
      }],
    });
  });

  it('a customer echo passes through as senderType customer (the bridge skips it)', async () => {
    const result = await signed(messagesEvent({ from: CUSTOMER, to: BUSINESS, text: 'Hi', senderType: 'customer' }));
    expect(result).toMatchObject({ ok: true, events: [{ type: 'agent', senderType: 'customer', from: CUSTOMER, to: BUSINESS }] });
  });

  it("reads the README's shape: upper-case names, numbers as JSON numbers, no eventId", async () => {
    const event = {
      eventType: 'MESSAGES', messageId: '004e0708206c0d3db4807g6bj7', accountId: '001d010540de0d3db4302f5fa8', conversationSessionId: '005e0708206c0d3db4807g6bj7',
      connectorId: '591c2529-c3a3-4062-a213-b239c18f543b', channel: 'TEXT', headers: { from: 1234567890, to: [1987654321] },
      body: { text: 'Hi, how can I help you?' }, sender: { type: 'AGENT' },
    };
    expect(await signed(event)).toMatchObject({
      ok: true,
      events: [{ eventId: '004e0708206c0d3db4807g6bj7', senderType: 'agent', from: '1234567890', to: '1987654321', channel: 'text', text: 'Hi, how can I help you?' }],
    });
  });

  it('a message without a sender is an unknown sender type, which no default forward list includes', async () => {
    const { sender: _sender, ...event } = messagesEvent({ from: BUSINESS, to: CUSTOMER, text: 'x' });
    expect(await signed(event)).toMatchObject({ ok: true, events: [{ senderType: 'unknown' }] });
  });

  it('unknown event types → 200 with no events', async () => {
    expect(await signed({ eventType: 'conversation_ended', eventId: 'e-2' })).toEqual({ ok: true, events: [] });
  });

  it.each([
    ['no headers.to', (e: Record<string, unknown>) => ({ ...e, headers: { from: BUSINESS } }), /headers\.to/],
    ['an empty headers.to', (e: Record<string, unknown>) => ({ ...e, headers: { from: BUSINESS, to: [] } }), /headers\.to/],
    ['no body.text', (e: Record<string, unknown>) => ({ ...e, body: {} }), /body\.text/],
    ['no eventId and no messageId', (e: Record<string, unknown>) => ({ ...e, eventId: undefined, messageId: undefined }), /eventId/],
    ['no eventType', (e: Record<string, unknown>) => ({ ...e, eventType: undefined }), /eventType/],
    ['an array', () => [1, 2], /eventType/],
  ])('400 for a messages event with %s', async (_name, change, reason) => {
    const event = change(messagesEvent({ from: BUSINESS, to: CUSTOMER, text: 'Hello' }));
    expect(await signed(event)).toMatchObject({ ok: false, status: 400, reason: expect.stringMatching(reason) });
  });

  it('400 for a signed body that is not JSON', async () => {
    expect(await signed('eventType=messages')).toMatchObject({ ok: false, status: 400 });
  });
});

describe('avaya-infinity events webhook: through the gateway', () => {
  let gw: TestGateway;
  const builtins = new Map<string, KnownPlugin>([...builtinPlugins, ['avaya-infinity', avayaInfinityPlugin as unknown as PluginDefinition<never>]]);
  const url = () => '/webhooks/avaya/events';

  beforeAll(async () => {
    gw = await startGateway(configText(`
providers:
  sms: { plugin: mock, channels: [sms] }
  avaya:
    plugin: avaya-infinity
    baseUrl: https://core.acme.ec.avayacloud.com
    accountId: ACC0001
    connectorId: conn-1
    clientId: switchboard
    clientSecret: \${env:AVAYA_CLIENT_SECRET}
    webhookSecret: \${env:AVAYA_WEBHOOK_SECRET}
routes:
  default:
    steps:
      - { channel: sms, providers: [sms], until: accepted, within: 1m }
`), { builtins, env: { AVAYA_CLIENT_SECRET: 'client-secret-value', AVAYA_WEBHOOK_SECRET: SECRET } });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('answers a signed health_check 200 and refuses forged (403) and unsigned (401) events, counting them', async () => {
    const health = signEvent(SECRET, healthCheckEvent());
    await gw.request.post(url()).set('content-type', 'application/json').set('x-avaya-event-signature', health.signature).send(health.rawBody).expect(200);
    const forged = signEvent('guess', healthCheckEvent());
    const res403 = await gw.request.post(url()).set('content-type', 'application/json').set('x-avaya-event-signature', forged.signature).send(forged.rawBody).expect(403);
    expect(res403.body.code).toBe('signature_invalid');
    await gw.request.post(url()).set('content-type', 'application/json').send(health.rawBody).expect(401);

    const text = (await gw.request.get('/metrics')).text;
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'avaya', kind: 'events', result: 'empty' })).toBe(1);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'avaya', kind: 'events', result: 'rejected_signature' })).toBe(2);
  });

  it('GET /-/config masks the client secret and the webhook secret', async () => {
    const res = await gw.request.get('/-/config').set('x-api-key', API_KEY).expect(200);
    expect(res.body.providers.avaya).toMatchObject({ clientSecret: '***', webhookSecret: '***', clientId: 'switchboard' });
    const text = JSON.stringify(res.body);
    for (const secret of ['client-secret-value', SECRET]) expect(text).not.toContain(secret);
  });

  it('postEvent speaks to a listening gateway the way Avaya does', async () => {
    // Keeps the helper honest for the bridge's tests: a real socket, a real header.
    const server = gw.app.http.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as { port: number };
    const health = signEvent(SECRET, healthCheckEvent());
    try {
      expect((await postEvent(`http://127.0.0.1:${port}${url()}`, health.rawBody, health.signature)).status).toBe(200);
      expect((await postEvent(`http://127.0.0.1:${port}${url()}`, health.rawBody)).status).toBe(401);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
