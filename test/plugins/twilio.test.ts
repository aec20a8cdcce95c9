import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OPTED_OUT_CODE, createTwilioProvider, type TwilioOptions } from '../../plugins/twilio/index.js';
import { ProviderError, type OutboundMessage, type PluginDeps, type Provider } from '../../src/plugin-api.js';
import { startTwilioFake, type TwilioFake } from '../fakes/twilio-fake.js';
import { pluginDeps } from '../helpers/plugin-deps.js';

const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const AUTH_TOKEN = 'twilio-test-auth-token';
const SERVICE_SID = `MG${'fedcba9876543210'.repeat(2)}`;
const CONTENT_SID = `HX${'00112233445566778899aabbccddeeff'}`;
const STATUS_URL = 'https://gw.example.test/webhooks/twilio-us/status';

const makeDeps = (): PluginDeps => pluginDeps('twilio-us');

function message(overrides: Partial<OutboundMessage>): OutboundMessage {
  return { attemptId: 'att-1', messageId: 'msg-1', channel: 'sms', to: '+15550002222', content: { text: 'Hello' }, ...overrides };
}

const signal = () => new AbortController().signal;

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

let fake: TwilioFake;
const providers: Provider[] = [];

function provider(overrides: Partial<TwilioOptions> = {}): Provider {
  const options: TwilioOptions = {
    accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: '+15550001111',
    channels: ['whatsapp', 'sms', 'mms'], baseUrl: fake.url, timeout: '2s', ...overrides,
  };
  const p = createTwilioProvider(Object.freeze(options), makeDeps());
  providers.push(p);
  return p;
}

beforeEach(async () => {
  fake = await startTwilioFake();
});

afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close?.()));
  await fake.close();
});

describe('twilio send', () => {
  it('sends an SMS with sender, status callback and basic auth, and reports segments', async () => {
    const receipt = await provider().send(message({ content: { text: 'Your code is 1234 – thanks' } }), { signal: signal() });

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0];
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`);
    expect(req.form).toEqual({ To: '+15550002222', From: '+15550001111', Body: 'Your code is 1234 – thanks', StatusCallback: STATUS_URL });

    const [sid] = [...fake.messages.keys()];
    expect(sid).toMatch(/^SM[0-9a-f]{32}$/);
    // The en dash is outside GSM-7, so the whole text is UCS-2.
    expect(receipt).toEqual({ providerMessageId: sid, status: 'queued', details: { twilioStatus: 'queued', segments: 1, encoding: 'UCS-2' } });
  });

  it('counts GSM-7 segments for a long SMS, extension characters twice', async () => {
    const text = `${'a'.repeat(156)}€€€`; // 159 characters, but 162 septets
    const receipt = await provider().send(message({ content: { text } }), { signal: signal() });
    expect(receipt.details).toMatchObject({ segments: 2, encoding: 'GSM-7' });
  });

  it('sends SMS text only, never media (an MMS is a different price)', async () => {
    await provider().send(message({ content: { text: 'see', media: ['https://cdn.example.test/a.jpg'] } }), { signal: signal() });
    expect(fake.requests[0].form.MediaUrl).toBeUndefined();
    expect(fake.requests[0].form.Body).toBe('see');
  });

  it('sends MMS with every media URL as a repeated MediaUrl field', async () => {
    const media = ['https://cdn.example.test/a.jpg', 'https://cdn.example.test/b.png'];
    const receipt = await provider().send(message({ channel: 'mms', content: { text: 'pics', media } }), { signal: signal() });
    expect(fake.requests[0].form).toEqual({ To: '+15550002222', From: '+15550001111', Body: 'pics', MediaUrl: media, StatusCallback: STATUS_URL });
    expect(receipt.providerMessageId).toMatch(/^MM/);
    expect(receipt.details).toEqual({ twilioStatus: 'queued', mediaCount: 2 });
  });

  it('refuses more than 10 media URLs without calling Twilio', async () => {
    const media = Array.from({ length: 11 }, (_, i) => `https://cdn.example.test/${i}.jpg`);
    const err = await rejection(provider().send(message({ channel: 'mms', content: { media } }), { signal: signal() }));
    expect(err).toMatchObject({ reason: 'client', retryable: false });
    expect(err.message).toMatch(/at most 10/);
    expect(fake.requests).toHaveLength(0);
  });

  it('addresses WhatsApp as whatsapp:+E164 on both To and From', async () => {
    await provider().send(message({ channel: 'whatsapp', to: '+447700900123', content: { text: 'hi' } }), { signal: signal() });
    await provider({ whatsappFrom: '+15550003333' }).send(message({ channel: 'whatsapp', to: 'whatsapp:+447700900123', content: { text: 'hi', media: ['https://cdn.example.test/a.jpg'] } }), { signal: signal() });

    expect(fake.requests[0].form).toEqual({ To: 'whatsapp:+447700900123', From: 'whatsapp:+15550001111', Body: 'hi', StatusCallback: STATUS_URL });
    expect(fake.requests[1].form).toMatchObject({ To: 'whatsapp:+447700900123', From: 'whatsapp:+15550003333', MediaUrl: 'https://cdn.example.test/a.jpg' });
  });

  it('sends a WhatsApp template as ContentSid and ContentVariables, without Body', async () => {
    const template = { name: CONTENT_SID, language: 'en', variables: ['Ann', 'Friday'] };
    const receipt = await provider().send(message({ channel: 'whatsapp', content: { text: 'ignored', template } }), { signal: signal() });
    await provider().send(message({ channel: 'whatsapp', content: { template: { name: CONTENT_SID, variables: { name: 'Bo' } } } }), { signal: signal() });

    expect(fake.requests[0].form).toEqual({
      To: 'whatsapp:+15550002222', From: 'whatsapp:+15550001111', StatusCallback: STATUS_URL,
      ContentSid: CONTENT_SID, ContentVariables: '{"1":"Ann","2":"Friday"}',
    });
    expect(fake.requests[1].form.ContentVariables).toBe('{"name":"Bo"}');
    expect(receipt.details).toEqual({ twilioStatus: 'queued', contentSid: CONTENT_SID });
  });

  it('refuses a template name that is not a Content SID without calling Twilio', async () => {
    const err = await rejection(provider().send(message({ channel: 'whatsapp', content: { template: { name: 'optin_en' } } }), { signal: signal() }));
    expect(err).toMatchObject({ reason: 'client', retryable: false });
    expect(fake.requests).toHaveLength(0);
  });

  it('sends through a Messaging Service without From when no sender is configured', async () => {
    const receipt = await provider({ from: undefined, messagingServiceSid: SERVICE_SID }).send(message({}), { signal: signal() });
    expect(fake.requests[0].form).toEqual({ To: '+15550002222', MessagingServiceSid: SERVICE_SID, Body: 'Hello', StatusCallback: STATUS_URL });
    expect(receipt.status).toBe('queued');
    expect(receipt.details).toMatchObject({ twilioStatus: 'accepted' });
  });

  it('authenticates with an API key pair against the configured account', async () => {
    const keySid = `SK${'1'.repeat(32)}`;
    await provider({ authToken: undefined, apiKeySid: keySid, apiKeySecret: 'key-secret' }).send(message({}), { signal: signal() });
    const req = fake.requests[0];
    expect(req.accountSid).toBe(ACCOUNT_SID);
    expect(req.auth).toEqual({ username: keySid, password: 'key-secret' });
    // Without an auth token no callback could be verified, so none is requested.
    expect(req.form.StatusCallback).toBeUndefined();
  });

  it('uses the configured public webhookUrl as StatusCallback', async () => {
    await provider({ webhookUrl: 'https://sms.example.org/gw/twilio-us/' }).send(message({}), { signal: signal() });
    expect(fake.requests[0].form.StatusCallback).toBe('https://sms.example.org/gw/twilio-us/status');
  });

  it('refuses channels the instance does not serve, and empty content, without calling Twilio', async () => {
    const smsOnly = provider({ channels: ['sms'] });
    expect(await rejection(smsOnly.send(message({ channel: 'whatsapp' }), { signal: signal() }))).toMatchObject({ reason: 'client' });
    expect(await rejection(smsOnly.send(message({ channel: 'email', to: 'a@example.test' }), { signal: signal() }))).toMatchObject({ reason: 'client' });
    expect(await rejection(smsOnly.send(message({ content: {} }), { signal: signal() }))).toMatchObject({ reason: 'client' });
    expect(await rejection(smsOnly.send(message({ content: { text: 'x'.repeat(1601) } }), { signal: signal() }))).toMatchObject({ reason: 'client' });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('twilio send errors', () => {
  it('maps 400/21211 to a permanent client error carrying the Twilio code', async () => {
    fake.failNext({ status: 400, code: 21211, message: "The 'To' number +15550002222 is not a valid phone number." });
    const err = await rejection(provider().send(message({}), { signal: signal() }));
    expect(err).toMatchObject({ reason: 'client', retryable: false, status: 400, providerCode: '21211' });
    expect(err.message).toMatch(/21211/);
  });

  it('maps 21610 to a permanent error whose code suppression can key on', async () => {
    fake.failNext({ status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });
    const err = await rejection(provider().send(message({}), { signal: signal() }));
    expect(err).toMatchObject({ reason: 'client', retryable: false, providerCode: '21610' });
    expect(err.providerCode).toBe(OPTED_OUT_CODE);
    expect(err.message).toMatch(/opted out/);
  });

  it('maps 429 to a retryable rate_limited error', async () => {
    fake.failNext({ status: 429, code: 20429, message: 'Too Many Requests' });
    expect(await rejection(provider().send(message({}), { signal: signal() }))).toMatchObject({ reason: 'rate_limited', retryable: true, status: 429, providerCode: '20429' });
    expect(fake.requests).toHaveLength(1); // the SDK's own retry stays off: backoff belongs to the scheduler
  });

  it('maps 500 and a proxy HTML 502 to retryable server errors', async () => {
    fake.failNext({ status: 500, code: 20500, message: 'Internal Server Error' });
    fake.failNext({ status: 502, body: '<html><body>Bad Gateway</body></html>' });
    expect(await rejection(provider().send(message({}), { signal: signal() }))).toMatchObject({ reason: 'server', retryable: true, status: 500 });
    expect(await rejection(provider().send(message({}), { signal: signal() }))).toMatchObject({ reason: 'server', retryable: true, status: 502 });
  });

  it('maps wrong credentials to a permanent auth error', async () => {
    await fake.close();
    fake = await startTwilioFake({ credentials: { username: ACCOUNT_SID, password: 'the-real-token' } });
    const err = await rejection(provider().send(message({}), { signal: signal() }));
    expect(err).toMatchObject({ reason: 'auth', retryable: false, status: 401, providerCode: '20003' });
  });

  it('gives up on a hung Twilio within the configured timeout', async () => {
    fake.failNext({ hang: true });
    const started = Date.now();
    const err = await rejection(provider({ timeout: '200ms' }).send(message({}), { signal: signal() }));
    const elapsed = Date.now() - started;
    expect(err).toMatchObject({ reason: 'timeout', retryable: true });
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(1500);
  });

  it("stops waiting as soon as the caller's signal aborts", async () => {
    fake.failNext({ hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const err = await rejection(provider({ timeout: '5s' }).send(message({}), { signal: controller.signal }));
    expect(err).toMatchObject({ reason: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('maps a refused connection to a retryable server error', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const err = await rejection(provider({ baseUrl: `http://127.0.0.1:${port}` }).send(message({}), { signal: signal() }));
    expect(err).toMatchObject({ reason: 'server', retryable: true });
  });
});

describe('twilio send cost', () => {
  it('passes its signal to axios without turning on promise hooks for the whole process (an AsyncLocalStorage would)', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/helpers/twilio-send-probe.ts'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    const probe = JSON.parse(run.stdout) as { sent: string; before: boolean; after: boolean; control: boolean };
    expect(probe.sent).toMatch(/^SM/);
    expect(probe).toMatchObject({ before: false, after: false, control: true });
  });
});
