import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bandwidthPlugin, createBandwidthProvider, type BandwidthOptions } from '../../plugins/bandwidth/index.js';
import { createAjv } from '../../src/config/ajv.js';
import { ProviderError, type OutboundMessage, type PluginDeps, type Provider } from '../../src/plugin-api.js';
import { startBandwidthFake, type BandwidthFake } from '../fakes/bandwidth-fake.js';
import { pluginDeps } from '../helpers/plugin-deps.js';

const FROM = '+15550001111';
const TO = '+15557654321';

function fakeClock(start = Date.parse('2026-11-23T12:00:00Z')) {
  let now = start;
  return {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
    advance(ms: number) {
      now += ms;
    },
  };
}

const makeDeps = (clock?: PluginDeps['clock']): PluginDeps => pluginDeps('bw', clock ? { clock } : {});

/** Options as the config loader produces them: validated against the plugin's schema, defaults filled, frozen. */
function configure(raw: Record<string, unknown>): BandwidthOptions {
  const validate = createAjv().compile(bandwidthPlugin.optionsSchema);
  const options = structuredClone(raw);
  if (!validate(options)) throw new Error(JSON.stringify(validate.errors));
  return Object.freeze(options) as unknown as BandwidthOptions;
}

let seq = 0;
function message(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  seq += 1;
  return { attemptId: `att-${seq}`, messageId: `msg-${seq}`, channel: 'sms', to: TO, content: { text: 'Hello from Switchboard' }, ...overrides };
}

const send = (provider: Provider, msg: OutboundMessage, signal = new AbortController().signal) => provider.send(msg, { signal });
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected the send to fail'); }, (e: unknown) => e as ProviderError);

describe('bandwidth plugin: sending', () => {
  let fake: BandwidthFake;
  let oauth: BandwidthOptions;

  beforeEach(async () => {
    fake = await startBandwidthFake({ tokenTtlSeconds: 120 });
    oauth = configure({
      accountId: fake.accountId, applicationId: 'app-123', clientId: fake.clientId, clientSecret: fake.clientSecret,
      from: FROM, baseUrl: fake.url, tokenUrl: fake.tokenUrl, timeout: '2s',
    });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('sends an SMS through the SDK with a bearer token from the token endpoint', async () => {
    const provider = createBandwidthProvider(oauth, makeDeps());
    const msg = message();
    const receipt = await send(provider, msg);

    expect(fake.grants).toHaveLength(1);
    expect(fake.grants[0].authorization).toBe(`Basic ${Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString('base64')}`);
    expect(fake.grants[0].form).toEqual({ grant_type: 'client_credentials' });

    const [req] = fake.requests;
    expect(fake.requests).toHaveLength(1);
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/api/v2/users/${fake.accountId}/messages`);
    expect(req.headers.authorization).toBe(`Bearer ${fake.grants[0].token}`);
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(req.headers['user-agent']).toMatch(/^OpenAPI-Generator\/8\./);
    expect(req.body).toEqual({ applicationId: 'app-123', to: [TO], from: FROM, text: 'Hello from Switchboard', tag: msg.attemptId });

    expect(receipt).toEqual({
      providerMessageId: fake.sent[0].id,
      status: 'queued',
      details: { encoding: 'GSM-7', segments: 1, characters: 22, bandwidthSegments: 1 },
    });
  });

  it('reports UCS-2 encoding and segments for a long non-GSM text', async () => {
    const provider = createBandwidthProvider(oauth, makeDeps());
    const receipt = await send(provider, message({ content: { text: 'Привет! '.repeat(10) } }));
    expect(receipt.details).toMatchObject({ encoding: 'UCS-2', segments: 2, characters: 80 });
  });

  it('carries priority and an RFC 3339 expiration computed from the clock', async () => {
    const clock = fakeClock();
    const provider = createBandwidthProvider(configure({ ...oauth, priority: 'high', expiration: '1h' }), makeDeps(clock));
    const receipt = await send(provider, message());
    const body = fake.requests[0].body as Record<string, unknown>;
    expect(body.priority).toBe('high');
    expect(body.expiration).toBe('2026-11-23T13:00:00.000Z');
    expect(receipt.details?.expiration).toBe('2026-11-23T13:00:00.000Z');
  });

  it('reuses the token, and fetches a new one before it expires', async () => {
    const clock = fakeClock();
    const provider = createBandwidthProvider(oauth, makeDeps(clock));
    await send(provider, message());
    await send(provider, message());
    expect(fake.grants).toHaveLength(1);

    clock.advance(61_000); // token lives 120 s; refreshed 60 s before expiry
    await send(provider, message());
    expect(fake.grants).toHaveLength(2);
    expect(fake.grants[1].token).not.toBe(fake.grants[0].token);
    expect(fake.requests[2].headers.authorization).toBe(`Bearer ${fake.grants[1].token}`);
  });

  it('after a 401 on a revoked token, the next attempt fetches a fresh one', async () => {
    const provider = createBandwidthProvider(oauth, makeDeps());
    await send(provider, message());
    fake.revokeTokens();
    const err = await failure(send(provider, message()));
    expect(err).toMatchObject({ reason: 'auth', status: 401, retryable: false });
    await send(provider, message());
    expect(fake.grants).toHaveLength(2);
    expect(fake.requests[2].headers.authorization).toBe(`Bearer ${fake.grants[1].token}`);
  });

  it('times token requests and media uploads, not cache hits', async () => {
    const ops: string[] = [];
    const deps = { ...makeDeps(), metrics: { time: <T>(op: string, fn: () => Promise<T>) => { ops.push(op); return fn(); }, failed: () => undefined } };
    const provider = createBandwidthProvider(oauth, deps);
    await send(provider, message());
    await send(provider, message({ channel: 'mms', content: { media: ['data:image/gif;base64,R0lGODlhAQABAAAAACw='] } }));
    expect(ops).toEqual(['oauth_token', 'media_upload']);
  });

  it('refused client credentials are an auth error and nothing is sent', async () => {
    const provider = createBandwidthProvider(configure({ ...oauth, clientSecret: 'wrong-secret' }), makeDeps());
    const err = await failure(send(provider, message()));
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ reason: 'auth', status: 401, retryable: false });
    expect(err.message).not.toContain('wrong-secret');
    expect(fake.requests).toHaveLength(0);
  });

  it('a failing token endpoint is a retryable server error and nothing is sent', async () => {
    fake.failNextToken(503);
    const err = await failure(send(createBandwidthProvider(oauth, makeDeps()), message()));
    expect(err).toMatchObject({ reason: 'server', status: 503, retryable: true });
    expect(fake.requests).toHaveLength(0);
  });

  it('legacy username/password mode sends HTTP Basic and asks for no token', async () => {
    const basic = configure({
      accountId: fake.accountId, applicationId: 'app-123', username: fake.username, password: fake.password,
      from: FROM, baseUrl: fake.url, tokenUrl: fake.tokenUrl,
    });
    const receipt = await send(createBandwidthProvider(basic, makeDeps()), message());
    expect(fake.grants).toHaveLength(0);
    expect(fake.requests[0].headers.authorization).toBe(`Basic ${Buffer.from(`${fake.username}:${fake.password}`).toString('base64')}`);
    expect(receipt.providerMessageId).toBe(fake.sent[0].id);
  });

  describe('MMS', () => {
    it('sends media URLs as given', async () => {
      const media = ['https://cdn.example.test/cat.jpg', 'https://cdn.example.test/render?id=7'];
      const receipt = await send(createBandwidthProvider(oauth, makeDeps()), message({ channel: 'mms', content: { text: 'Look', media } }));
      expect(fake.requests[0].body).toMatchObject({ media, text: 'Look', to: [TO] });
      expect(receipt.details).toEqual({ attachments: 2, uploaded: 0, bandwidthSegments: 1 });
    });

    it('uploads inline base64 media with PUT first, then references it', async () => {
      const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
      const msg = message({ channel: 'mms', content: { media: [`data:image/png;base64,${png.toString('base64')}`] } });
      const receipt = await send(createBandwidthProvider(oauth, makeDeps()), msg);

      const [put, post] = fake.requests;
      const mediaId = `${msg.attemptId}-1.png`;
      expect(put.method).toBe('PUT');
      expect(put.path).toBe(`/api/v2/users/${fake.accountId}/media/${mediaId}`);
      expect(put.headers['content-type']).toBe('image/png');
      expect(put.headers.authorization).toBe(`Bearer ${fake.grants[0].token}`);
      expect(put.raw.equals(png)).toBe(true);
      expect(fake.media.get(mediaId)?.bytes.equals(png)).toBe(true);
      expect(post.body).toEqual({ applicationId: 'app-123', to: [TO], from: FROM, media: [`${fake.url}/users/${fake.accountId}/media/${mediaId}`], tag: msg.attemptId });
      expect(receipt.details).toMatchObject({ attachments: 1, uploaded: 1 });
    });

    it.each([
      ['an unaccepted inline type', ['data:application/x-msdownload;base64,TVqQAAMAAAAEAAAA']],
      ['an inline file over 3.5 MB', [`data:image/jpeg;base64,${Buffer.alloc(3_500_001).toString('base64')}`]],
      ['a URL of an unaccepted type', ['https://cdn.example.test/setup.exe']],
      ['a non-http URL', ['ftp://cdn.example.test/a.png']],
      ['eleven attachments', Array.from({ length: 11 }, (_, i) => `https://cdn.example.test/${i}.png`)],
    ])('refuses %s as a permanent client error without calling Bandwidth', async (_name, media) => {
      const err = await failure(send(createBandwidthProvider(oauth, makeDeps()), message({ channel: 'mms', content: { text: 'x', media } })));
      expect(err).toBeInstanceOf(ProviderError);
      expect(err).toMatchObject({ reason: 'client', retryable: false });
      expect(fake.requests).toHaveLength(0);
      expect(fake.grants).toHaveLength(0);
    });

    it('an SMS step drops media and says so on the receipt', async () => {
      const receipt = await send(createBandwidthProvider(oauth, makeDeps()), message({ content: { text: 'hi', media: ['https://cdn.example.test/a.png'] } }));
      expect((fake.requests[0].body as Record<string, unknown>).media).toBeUndefined();
      expect(receipt.details).toMatchObject({ mediaDropped: 1, segments: 1 });
    });
  });

  describe('group messages', () => {
    it('sends one request to three recipients', async () => {
      const to = ['+15550000001', '+15550000002', '+15550000003'];
      const receipt = await send(createBandwidthProvider(oauth, makeDeps()), message({ channel: 'mms', to: to.join(', '), content: { text: 'Team update' } }));
      expect(fake.messageRequests()).toHaveLength(1);
      expect((fake.requests[0].body as { to: string[] }).to).toEqual(to);
      expect(receipt.providerMessageId).toBe(fake.sent[0].id);
      expect(receipt.details).toMatchObject({ group: true, recipients: 3 });
    });

    it.each([
      ['more than 10 recipients', Array.from({ length: 11 }, (_, i) => `+1555000${String(i).padStart(4, '0')}`).join(',')],
      ['a number that is not E.164', '+15550000001,5550000002'],
      ['no recipient', ' , '],
    ])('refuses %s without calling Bandwidth', async (_name, to) => {
      const err = await failure(send(createBandwidthProvider(oauth, makeDeps()), message({ channel: 'mms', to })));
      expect(err).toMatchObject({ reason: 'client', retryable: false });
      expect(fake.requests).toHaveLength(0);
    });
  });

  it('refuses a channel the instance does not send on', async () => {
    const smsOnly = createBandwidthProvider(configure({ ...oauth, channels: ['sms'] }), makeDeps());
    await expect(send(smsOnly, message({ channel: 'mms', content: { text: 'x', media: ['https://cdn.example.test/a.png'] } })))
      .rejects.toMatchObject({ reason: 'client' });
    await expect(send(smsOnly, message({ channel: 'whatsapp' }))).rejects.toMatchObject({ reason: 'client' });
    expect(bandwidthPlugin.channels(configure({ ...oauth, channels: ['sms'] }))).toEqual(['sms']);
    expect(bandwidthPlugin.channels(oauth)).toEqual(['sms', 'mms']);
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses an empty text and a text over 2048 characters', async () => {
    const provider = createBandwidthProvider(oauth, makeDeps());
    await expect(send(provider, message({ content: {} }))).rejects.toMatchObject({ reason: 'client' });
    await expect(send(provider, message({ content: { text: 'a'.repeat(2049) } }))).rejects.toMatchObject({ reason: 'client' });
    expect(fake.requests).toHaveLength(0);
  });

  describe('error mapping', () => {
    it('400 with field errors is a permanent client error carrying Bandwidth\'s type and description', async () => {
      fake.failNext({ status: 400, body: { type: 'request-validation', description: 'Your request could not be accepted', fieldErrors: [{ fieldName: 'from', description: "'+15550001111' must be a number on your account" }] } });
      const err = await failure(send(createBandwidthProvider(oauth, makeDeps()), message()));
      expect(err).toBeInstanceOf(ProviderError);
      expect(err).toMatchObject({ reason: 'client', status: 400, retryable: false, providerCode: 'request-validation' });
      expect(err.message).toContain('Your request could not be accepted');
      expect(err.message).toContain('from:');
    });

    it.each([
      [401, 'auth', false, 'unauthorized'],
      [403, 'auth', false, 'forbidden'],
      [415, 'client', false, 'unsupported-content-type'],
      [429, 'rate_limited', true, 'max-message-queue-size-exceeded'],
      [500, 'server', true, 'internal-server-error'],
      [503, 'server', true, 'internal-server-error'],
    ] as const)('%i → %s (retryable: %s)', async (status, reason, retryable, providerCode) => {
      fake.failNext(status);
      const err = await failure(send(createBandwidthProvider(oauth, makeDeps()), message()));
      expect(err).toMatchObject({ reason, status, retryable, providerCode });
    });

    it('a 429 carries its Retry-After (seconds or HTTP-date) for the engine to honour', async () => {
      const clock = fakeClock();
      const provider = createBandwidthProvider(oauth, makeDeps(clock));
      fake.failNext({ status: 429, headers: { 'retry-after': '7' } });
      expect(await failure(send(provider, message()))).toMatchObject({ reason: 'rate_limited', retryAfterMs: 7000 });
      fake.failNext({ status: 429, headers: { 'retry-after': new Date(clock.now() + 30_000).toUTCString() } });
      expect(await failure(send(provider, message()))).toMatchObject({ retryAfterMs: 30_000 });
      fake.failNext({ status: 429 });
      expect((await failure(send(provider, message()))).retryAfterMs).toBeUndefined();
    });

    it('a hung Bandwidth is a retryable timeout within the configured timeout', async () => {
      const provider = createBandwidthProvider(configure({ ...oauth, timeout: '150ms' }), makeDeps());
      await send(provider, message()); // warm the token so the timeout hits the message call
      fake.failNext({ delayMs: 3000 });
      const started = Date.now();
      const err = await failure(send(provider, message()));
      expect(err).toMatchObject({ reason: 'timeout', retryable: true });
      expect(Date.now() - started).toBeLessThan(1500);
    }, 10_000);

    it('a caller that aborts gets a timeout error', async () => {
      fake.failNext({ delayMs: 3000 });
      const provider = createBandwidthProvider(oauth, makeDeps());
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      const err = await failure(send(provider, message(), ac.signal));
      expect(err).toMatchObject({ reason: 'timeout', retryable: true });
    });

    it('errors carry no credentials or tokens', async () => {
      fake.failNext(500);
      const err = await failure(send(createBandwidthProvider(oauth, makeDeps()), message()));
      const text = JSON.stringify({ message: err.message, cause: String((err as Error).cause ?? '') });
      expect(text).not.toContain(fake.clientSecret);
      expect(text).not.toContain(fake.grants[0].token as string);
    });
  });
});

describe('bandwidth options schema', () => {
  const base = { accountId: '9900000', applicationId: 'app', from: FROM };

  it('accepts OAuth or Basic credentials and fills defaults', () => {
    expect(configure({ ...base, clientId: 'c', clientSecret: 's' })).toMatchObject({
      baseUrl: 'https://messaging.bandwidth.com/api/v2', tokenUrl: 'https://api.bandwidth.com/api/v1/oauth2/token', channels: ['sms', 'mms'], timeout: '10s',
    });
    expect(configure({ ...base, username: 'u', password: 'p' })).toMatchObject({ username: 'u' });
  });

  it.each([
    ['no credentials', {}],
    ['both kinds of credentials', { clientId: 'c', clientSecret: 's', username: 'u', password: 'p' }],
    ['half a pair', { clientId: 'c' }],
    ['callback user without password', { clientId: 'c', clientSecret: 's', callbackUsername: 'cb' }],
    ['a non-E.164 from', { clientId: 'c', clientSecret: 's', from: '5550001111' }],
    ['an unknown option', { clientId: 'c', clientSecret: 's', region: 'us' }],
    ['a channel Bandwidth does not carry', { clientId: 'c', clientSecret: 's', channels: ['whatsapp'] }],
    ['a malformed timeout', { clientId: 'c', clientSecret: 's', timeout: 'soon' }],
  ])('refuses %s', (_name, extra) => {
    expect(() => configure({ ...base, ...extra })).toThrow();
  });

  it('marks every secret with x-secret', () => {
    const props = bandwidthPlugin.optionsSchema.properties as Record<string, Record<string, unknown>>;
    const secret = Object.keys(props).filter((k) => props[k]['x-secret'] === true).sort();
    expect(secret).toEqual(['callbackPassword', 'clientSecret', 'password']);
  });
});
