import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { avayaInfinityPlugin, createAvayaContactCenter, jwtExpiry, type AvayaOptions } from '../../plugins/avaya-infinity/index.js';
import { createAjv } from '../../src/config/ajv.js';
import { ProviderError, type ContactCenter, type ContactCenterDelivery, type PluginDeps } from '../../src/plugin-api.js';
import { SPEC_SEND_PATH, sampleSendPath, startAvayaFake, type AvayaFake } from '../fakes/avaya-fake.js';
import { manualClock } from '../helpers/clock.js';
import { pluginDeps } from '../helpers/plugin-deps.js';

const CUSTOMER = '+15551230000';
const BUSINESS = '+15557654321';

/** Options as the config loader produces them: validated, defaults filled, frozen. */
function configure(raw: Record<string, unknown>): AvayaOptions {
  const validate = createAjv().compile(avayaInfinityPlugin.optionsSchema);
  const options = structuredClone(raw);
  if (!validate(options)) throw new Error(JSON.stringify(validate.errors));
  return Object.freeze(options) as unknown as AvayaOptions;
}

let seq = 0;
function delivery(overrides: Partial<ContactCenterDelivery> = {}): ContactCenterDelivery {
  seq += 1;
  return {
    inboundId: `in-${seq}`, providerMessageId: `SM${seq}`, receivedAt: '2026-11-29T00:00:00.000Z', provider: 'twilio-us',
    channel: 'sms', from: CUSTOMER, to: BUSINESS, text: 'Hi, I need help', ...overrides,
  };
}

const deliver = (cc: ContactCenter, d: ContactCenterDelivery) => cc.deliver(d, { signal: new AbortController().signal });
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected the delivery to fail'); }, (e: unknown) => e as ProviderError);

describe('avaya-infinity: deliver', () => {
  let fake: AvayaFake;
  let base: Record<string, unknown>;
  const make = (extra: Record<string, unknown> = {}, deps: Partial<PluginDeps> = {}) =>
    createAvayaContactCenter(configure({ ...base, ...extra }), pluginDeps('avaya', deps));

  beforeEach(async () => {
    fake = await startAvayaFake();
    base = { baseUrl: fake.url, accountId: fake.accountId, connectorId: fake.connectorId, clientId: fake.clientId, clientSecret: fake.clientSecret, timeout: '2s' };
  });
  afterEach(async () => {
    await fake.close();
  });

  it("posts the sample's body to the sample's path with a bearer token from the client-credentials grant", async () => {
    const cc = make();
    const d = delivery();
    const receipt = await deliver(cc, d);

    expect(fake.grants).toHaveLength(1);
    expect(fake.grants[0]).toMatchObject({
      contentType: 'application/x-www-form-urlencoded',
      clientAuth: 'body',
      form: { grant_type: 'client_credentials', client_id: fake.clientId, client_secret: fake.clientSecret },
    });
    const [send] = fake.sends;
    expect(send.path).toBe(sampleSendPath(fake.accountId));
    expect(send.token).toBe(fake.grants[0].token);
    expect(send.headers['content-type']).toBe('application/json');
    expect(send.body).toEqual({
      connectorId: fake.connectorId,
      channel: 'text',
      headers: { from: CUSTOMER, to: [BUSINESS], destination: BUSINESS },
      body: { text: 'Hi, I need help' },
      contextParameters: { channel: 'sms', provider: 'twilio-us', inboundId: d.inboundId },
      providerMetaData: { messageId: d.providerMessageId, messageTimestamp: d.receivedAt },
    });
    expect(receipt).toEqual({
      conversationId: fake.accepted[0].conversationSessionId,
      providerMessageId: fake.accepted[0].messageId,
      details: { avayaChannel: 'text' },
    });
  });

  it("uses the API reference's path when sendPath says so, and the same conversation for the same pair", async () => {
    const cc = make({ sendPath: SPEC_SEND_PATH });
    const first = await deliver(cc, delivery());
    const second = await deliver(cc, delivery({ text: 'Are you there?' }));
    expect(fake.sends.map((s) => s.path)).toEqual([SPEC_SEND_PATH, SPEC_SEND_PATH]);
    expect(second.conversationId).toBe(first.conversationId);
  });

  it('sends WhatsApp as the messaging channel, to the configured destination, with our id when the provider gave none', async () => {
    const cc = make({ destinations: { whatsapp: 'wa-integration-7' } });
    const d = delivery({ channel: 'whatsapp', providerMessageId: undefined, context: { city: 'Lyon', channel: 'spoofed' } });
    await deliver(cc, d);
    expect(fake.sends[0].body).toMatchObject({
      channel: 'messaging',
      headers: { from: CUSTOMER, to: [BUSINESS], destination: 'wa-integration-7' },
      contextParameters: { channel: 'whatsapp', provider: 'twilio-us', inboundId: d.inboundId, city: 'Lyon' },
      providerMetaData: { messageId: d.inboundId },
    });
  });

  it('appends media as links, and splits a text longer than Avaya takes into parts', async () => {
    const cc = make();
    const media = ['https://media.example.test/a.jpg'];
    const withMedia = await deliver(cc, delivery({ channel: 'mms', text: 'See photo', media }));
    expect((fake.sends[0].body as { body: unknown }).body).toEqual({ text: `See photo\n${media[0]}` });
    expect(withMedia.details).toMatchObject({ avayaChannel: 'text', mediaAsLinks: 1 });

    const d = delivery({ text: `${'a'.repeat(1024)}${'😀'.repeat(10)}` });
    const long = await deliver(cc, d);
    const parts = fake.sends.slice(1).map((s) => s.body as { body: { text: string }; providerMetaData: { messageId: string } });
    expect(parts.map((p) => p.body.text)).toEqual(['a'.repeat(1024), '😀'.repeat(10)]);
    expect(parts.map((p) => p.providerMetaData.messageId)).toEqual([d.providerMessageId, `${d.providerMessageId}-part2`]);
    expect(long.details).toMatchObject({ parts: 2 });
  });

  it('refuses a message with nothing to deliver, without calling Avaya', async () => {
    const err = await failure(deliver(make(), delivery({ text: '' })));
    expect(err).toMatchObject({ reason: 'client', retryable: false, providerCode: 'empty-message' });
    expect(fake.grants).toHaveLength(0);
  });
});

describe('avaya-infinity: tokens', () => {
  let fake: AvayaFake;
  const clock = manualClock(Date.parse('2026-11-29T00:00:00Z'));
  const makeFor = (f: AvayaFake, clientSecret = f.clientSecret) =>
    createAvayaContactCenter(
      configure({ baseUrl: f.url, accountId: f.accountId, connectorId: f.connectorId, clientId: f.clientId, clientSecret, timeout: '2s' }),
      pluginDeps('avaya', { clock: clock.clock }),
    );

  afterEach(async () => {
    await fake.close();
  });

  it('reuses one token, and N concurrent deliveries share one token request', async () => {
    fake = await startAvayaFake({ now: clock.clock.now });
    const cc = makeFor(fake);
    await Promise.all(Array.from({ length: 8 }, () => deliver(cc, delivery())));
    await deliver(cc, delivery());
    expect(fake.grants).toHaveLength(1);
    expect(new Set(fake.sends.map((s) => s.token))).toEqual(new Set([fake.grants[0].token]));
  });

  it("renews before the JWT's exp even when expires_in promises longer", async () => {
    fake = await startAvayaFake({ now: clock.clock.now, expiresIn: 900, jwtLifetime: 120 });
    const cc = makeFor(fake);
    await deliver(cc, delivery());
    const first = fake.grants[0].token as string;
    expect(jwtExpiry(first)).toBe(Math.floor(clock.clock.now() / 1000) + 120);

    clock.advance(59_000); // refreshed 60 s before exp
    await deliver(cc, delivery());
    expect(fake.grants).toHaveLength(1);
    clock.advance(2_000);
    await deliver(cc, delivery());
    expect(fake.grants).toHaveLength(2);
    expect(fake.sends[2].token).toBe(fake.grants[1].token);
    expect(fake.sends[2].token).not.toBe(first);
  });

  it('after a 401 to a revoked token, fetches a fresh one and sends again once', async () => {
    fake = await startAvayaFake({ now: clock.clock.now });
    const cc = makeFor(fake);
    await deliver(cc, delivery());
    fake.revokeTokens();
    const receipt = await deliver(cc, delivery());
    expect(receipt.conversationId).toBeDefined();
    expect(fake.grants).toHaveLength(2);
    expect(fake.sends.map((s) => s.token)).toEqual([fake.grants[0].token, fake.grants[0].token, fake.grants[1].token]);
    expect(fake.accepted).toHaveLength(2);
  });

  it('concurrent deliveries that all hear 401 fetch one fresh token between them', async () => {
    fake = await startAvayaFake({ now: clock.clock.now });
    const cc = makeFor(fake);
    await deliver(cc, delivery());
    fake.revokeTokens();
    await Promise.all(Array.from({ length: 5 }, () => deliver(cc, delivery())));
    expect(fake.grants).toHaveLength(2);
    expect(fake.accepted).toHaveLength(6);
  });

  it('a second 401 in a row is a permanent auth failure: one retry, no more', async () => {
    fake = await startAvayaFake({ now: clock.clock.now });
    const cc = makeFor(fake);
    fake.failNext(401, 2);
    const err = await failure(deliver(cc, delivery()));
    expect(err).toMatchObject({ reason: 'auth', status: 401, retryable: false });
    expect(fake.sends).toHaveLength(2);
    expect(fake.grants).toHaveLength(2);
  });

  it('wrong client credentials are a permanent auth failure from the token endpoint', async () => {
    fake = await startAvayaFake({ now: clock.clock.now });
    const err = await failure(deliver(makeFor(fake, 'not-the-secret'), delivery()));
    expect(err).toMatchObject({ reason: 'auth', status: 401, retryable: false, providerCode: 'invalid_client' });
    expect(fake.sends).toHaveLength(0);
  });
});

describe('avaya-infinity: error classification', () => {
  let fake: AvayaFake;
  let cc: ContactCenter;

  beforeEach(async () => {
    fake = await startAvayaFake();
    cc = createAvayaContactCenter(
      configure({ baseUrl: fake.url, accountId: fake.accountId, connectorId: fake.connectorId, clientId: fake.clientId, clientSecret: fake.clientSecret, timeout: '300ms' }),
      pluginDeps('avaya'),
    );
  });
  afterEach(async () => {
    await fake.close();
  });

  it('429 is retryable and carries Retry-After', async () => {
    fake.failNext({ status: 429, headers: { 'retry-after': '7' } });
    expect(await failure(deliver(cc, delivery()))).toMatchObject({ reason: 'rate_limited', status: 429, retryable: true, retryAfterMs: 7000 });
  });

  it.each([500, 502, 503])('%i is retryable', async (status) => {
    fake.failNext({ status, headers: status === 503 ? { 'retry-after': '2' } : {} });
    const err = await failure(deliver(cc, delivery()));
    expect(err).toMatchObject({ reason: 'server', status, retryable: true });
    expect(err.retryAfterMs).toBe(status === 503 ? 2000 : undefined);
  });

  it('no answer within the timeout is a retryable timeout', async () => {
    fake.failNext({ delayMs: 1000 });
    expect(await failure(deliver(cc, delivery()))).toMatchObject({ reason: 'timeout', retryable: true });
  });

  it("another 4xx is permanent and says what Avaya said", async () => {
    const wrong = createAvayaContactCenter(
      configure({ baseUrl: fake.url, accountId: fake.accountId, connectorId: 'not-this-one', clientId: fake.clientId, clientSecret: fake.clientSecret, timeout: '1s' }),
      pluginDeps('avaya'),
    );
    const err = await failure(deliver(wrong, delivery()));
    expect(err).toMatchObject({ reason: 'client', status: 400, retryable: false, providerCode: 'Bad Request' });
    expect(err.message).toBe('Avaya Send Message answered 400: Bad Request: the message is not valid; connectorId: unknown connector');
    expect(err.retryAfterMs).toBeUndefined();
  });
});
