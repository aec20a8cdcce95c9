import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTwilioProvider, type TwilioOptions } from '../../plugins/twilio/index.js';
import { type PluginDeps, type Provider, type WebhookRequest, type WebhookResult } from '../../src/plugin-api.js';
import { inboundParams, inboundRequest, parseForm, startTwilioFake, statusCallbackRequest, statusParams, type FormParams, type SignedCallback, type TwilioFake } from '../fakes/twilio-fake.js';
import { pluginDeps } from '../helpers/plugin-deps.js';

const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const AUTH_TOKEN = 'twilio-test-auth-token';
const BASE = 'https://gw.example.test/webhooks/twilio-us';
const SID = `SM${'ab'.repeat(16)}`;

const makeDeps = (): PluginDeps => pluginDeps('twilio-us');

const providers: Provider[] = [];
function provider(overrides: Partial<TwilioOptions> = {}): Provider {
  const p = createTwilioProvider(Object.freeze({
    accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: '+15550001111', channels: ['whatsapp', 'sms', 'mms'] as TwilioOptions['channels'],
    baseUrl: 'http://127.0.0.1:9', timeout: '1s', ...overrides,
  }), makeDeps());
  providers.push(p);
  return p;
}

afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close?.()));
});

/** What the core's HTTP layer hands the plugin for a signed callback it received at `url`. */
function asRequest(signed: SignedCallback, url = signed.url): WebhookRequest {
  return { method: 'POST', url, headers: signed.headers, query: Object.fromEntries(new URL(url).searchParams), rawBody: signed.body, body: parseForm(signed.body) };
}

async function call(p: Provider, kind: 'inbound' | 'status', req: WebhookRequest): Promise<WebhookResult> {
  const handler = p.webhooks?.[kind];
  expect(handler).toBeTypeOf('function');
  return handler!(req);
}

const signedInbound = (params: FormParams, url = `${BASE}/inbound`) => inboundRequest({ url, authToken: AUTH_TOKEN, params });
const signedStatus = (params: FormParams, url = `${BASE}/status`) => statusCallbackRequest({ url, authToken: AUTH_TOKEN, params });
const status = (s: string, errorCode?: string) => statusParams({ messageSid: SID, status: s, accountSid: ACCOUNT_SID, from: '+15550001111', to: '+15550002222', errorCode });

describe('twilio inbound webhook', () => {
  it('parses a signed SMS into an inbound event and answers with empty TwiML', async () => {
    const params = inboundParams({ from: '+15550002222', to: '+15550001111', body: 'STOP & go, ünïcode + spaces', accountSid: ACCOUNT_SID, messageSid: SID, extra: { OptOutType: 'STOP' } });
    const result = await call(provider(), 'inbound', asRequest(signedInbound(params)));
    expect(result).toEqual({
      ok: true,
      events: [{
        type: 'inbound', channel: 'sms', from: '+15550002222', to: '+15550001111', text: 'STOP & go, ünïcode + spaces', providerMessageId: SID,
        details: { accountSid: ACCOUNT_SID, numSegments: '1', optOutType: 'STOP' },
      }],
      reply: { status: 200, contentType: 'text/xml', body: '<?xml version="1.0" encoding="UTF-8"?><Response/>' },
    });
  });

  it('makes a message with media an MMS and lists MediaUrl0..N in order', async () => {
    const media = [{ url: 'https://api.twilio.com/m/ME1', contentType: 'image/jpeg' }, { url: 'https://api.twilio.com/m/ME2', contentType: 'image/png' }];
    const result = await call(provider(), 'inbound', asRequest(signedInbound(inboundParams({ from: '+15550002222', to: '+15550001111', accountSid: ACCOUNT_SID, media }))));
    expect(result.ok && result.events[0]).toMatchObject({
      channel: 'mms', text: '', media: ['https://api.twilio.com/m/ME1', 'https://api.twilio.com/m/ME2'],
      details: { mediaContentTypes: ['image/jpeg', 'image/png'] },
    });
  });

  it('makes a whatsapp: sender a WhatsApp message, with the prefix removed from both addresses', async () => {
    const params = inboundParams({
      from: 'whatsapp:+447700900123', to: 'whatsapp:+15550001111', body: 'hi', accountSid: ACCOUNT_SID, messageSid: SID,
      media: [{ url: 'https://api.twilio.com/m/ME3', contentType: 'image/jpeg' }], extra: { ProfileName: 'Ann', WaId: '447700900123' },
    });
    const result = await call(provider(), 'inbound', asRequest(signedInbound(params)));
    expect(result.ok && result.events[0]).toMatchObject({
      channel: 'whatsapp', from: '+447700900123', to: '+15550001111', text: 'hi', media: ['https://api.twilio.com/m/ME3'],
      details: { profileName: 'Ann', waId: '447700900123' },
    });
  });
});

describe('twilio status webhook', () => {
  it('maps MessageStatus to the normalized status', async () => {
    const result = await call(provider(), 'status', asRequest(signedStatus(status('delivered'))));
    expect(result).toEqual({ ok: true, events: [{ type: 'status', providerMessageId: SID, status: 'delivered', details: { twilioStatus: 'delivered' } }] });
  });

  it.each([
    ['undelivered', '30003', 'undelivered', /unreachable destination handset/],
    ['undelivered', '30005', 'undelivered', /unknown destination handset/],
    ['failed', '30006', 'failed', /landline/],
    ['undelivered', '30007', 'undelivered', /filtered/],
    ['failed', '63016', 'failed', /24-hour/],
    ['failed', '39999', 'failed', /^Twilio error 39999$/],
  ])('keeps ErrorCode with a readable reason (%s %s)', async (twilioStatus, code, normalized, reason) => {
    const result = await call(provider(), 'status', asRequest(signedStatus(status(twilioStatus, code))));
    expect(result.ok).toBe(true);
    const event = result.ok ? result.events[0] : undefined;
    expect(event).toMatchObject({ type: 'status', status: normalized, errorCode: code });
    expect(event && 'errorReason' in event ? event.errorReason : undefined).toMatch(reason);
  });

  it('signals what 21610 and 63016 mean to the core (opted out; WhatsApp window closed), and nothing for other codes', async () => {
    const signalOfCode = async (code: string) => {
      const result = await call(provider(), 'status', asRequest(signedStatus(status('failed', code))));
      return result.ok && result.events[0].type === 'status' ? result.events[0].signal : 'not parsed';
    };
    expect(await signalOfCode('21610')).toBe('opted_out');
    expect(await signalOfCode('63016')).toBe('outside_window');
    expect(await signalOfCode('30003')).toBeUndefined();
  });

  it('accepts, without events, a status that describes no outbound attempt', async () => {
    expect(await call(provider(), 'status', asRequest(signedStatus(status('received'))))).toEqual({ ok: true, events: [] });
    expect(await call(provider(), 'status', asRequest(signedStatus(status('some_future_status'))))).toEqual({ ok: true, events: [] });
  });
});

describe('twilio webhook verification', () => {
  const good = () => signedStatus(status('sent'));

  it('refuses a callback without X-Twilio-Signature', async () => {
    const { 'x-twilio-signature': _dropped, ...headers } = good().headers;
    const result = await call(provider(), 'status', { ...asRequest(good()), headers });
    expect(result).toEqual({ ok: false, status: 403, reason: 'missing X-Twilio-Signature' });
  });

  it('refuses a signature made with another token, for another URL, or over other parameters', async () => {
    const p = provider();
    const otherToken = statusCallbackRequest({ url: `${BASE}/status`, authToken: 'not-the-token', params: status('sent') });
    expect(await call(p, 'status', asRequest(otherToken))).toMatchObject({ ok: false, status: 403 });
    expect(await call(p, 'status', asRequest(good(), `${BASE}/inbound`))).toMatchObject({ ok: false, status: 403 });
    const tampered = asRequest(good());
    tampered.body = { ...(tampered.body as FormParams), MessageStatus: 'delivered' };
    expect(await call(p, 'status', tampered)).toMatchObject({ ok: false, status: 403 });
  });

  it('accepts the header in any case and covers the query string', async () => {
    const url = `${BASE}/status?attempt=att-1`;
    const signed = signedStatus(status('sent'), url);
    const req = asRequest(signed);
    req.headers = { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signed.headers['x-twilio-signature'] };
    expect(await call(provider(), 'status', req)).toMatchObject({ ok: true });
    expect(await call(provider(), 'status', asRequest(signed, `${BASE}/status`))).toMatchObject({ ok: false, status: 403 });
  });

  it('checks against the configured public webhookUrl when Twilio calls through a proxy', async () => {
    const signed = signedStatus(status('sent'), 'https://public.example.org/twilio/status?x=1');
    const seenByCore = asRequest(signed, `${BASE}/status?x=1`);
    expect(await call(provider(), 'status', seenByCore)).toMatchObject({ ok: false, status: 403 });
    expect(await call(provider({ webhookUrl: 'https://public.example.org/twilio/' }), 'status', seenByCore)).toMatchObject({ ok: true });
  });

  it('refuses every callback when the instance has no authToken', async () => {
    const p = provider({ authToken: undefined, apiKeySid: `SK${'1'.repeat(32)}`, apiKeySecret: 'secret' });
    const result = await call(p, 'status', asRequest(good()));
    expect(result).toMatchObject({ ok: false, status: 403 });
    expect(!result.ok && result.reason).toMatch(/authToken/);
  });

  it('answers 400 for bodies that are not Twilio form parameters, and never throws', async () => {
    const p = provider({ webhookUrl: 'https://public.example.org/twilio' });
    const base = asRequest(good());
    for (const body of [undefined, null, 'MessageSid=SM1', ['a'], { MessageSid: { nested: true } }, { MessageSid: 7 }]) {
      expect(await call(p, 'status', { ...base, body })).toMatchObject({ ok: false, status: 400 });
    }
    expect(await call(p, 'inbound', { ...base, url: 'not a url', body: {} })).toMatchObject({ ok: false, status: 403 });
  });

  it('answers 400 for a correctly signed callback without MessageSid', async () => {
    const p = provider();
    const { MessageSid: _a, SmsSid: _b, ...noSid } = status('sent') as Record<string, string>;
    expect(await call(p, 'status', asRequest(signedStatus(noSid)))).toMatchObject({ ok: false, status: 400 });
    const { MessageSid: _c, SmsMessageSid: _d, ...inboundNoSid } = inboundParams({ from: '+15550002222', to: '+15550001111', body: 'x', accountSid: ACCOUNT_SID }) as Record<string, string>;
    expect(await call(p, 'inbound', asRequest(signedInbound(inboundNoSid)))).toMatchObject({ ok: false, status: 400 });
  });
});

describe('twilio status callbacks over the wire', () => {
  let fake: TwilioFake | undefined;
  let gateway: Server | undefined;
  afterEach(async () => {
    await fake?.close();
    gateway?.closeAllConnections();
    await new Promise((resolve) => (gateway ? gateway.close(resolve) : resolve(undefined)));
  });

  it('receives the fake’s signed receipts for a sent message through the status handler', async () => {
    const events: unknown[] = [];
    let p: Provider | undefined;
    // A minimal stand-in for the core's webhook route: public URL in, handler result out.
    gateway = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => {
        const publicUrl = `${BASE}${(req.url ?? '').replace(/^\/webhooks\/twilio-us/, '')}`;
        void Promise.resolve(p!.webhooks!.status({ method: 'POST', url: publicUrl, headers: req.headers, query: {}, rawBody: raw, body: parseForm(raw) }))
          .then((result) => {
            if (result.ok) events.push(...result.events);
            res.writeHead(result.ok ? 200 : result.status).end();
          });
      });
    });
    gateway.listen(0, '127.0.0.1');
    await once(gateway, 'listening');
    const local = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
    fake = await startTwilioFake({ autoStatus: { authToken: AUTH_TOKEN, statuses: ['sent', 'delivered'], target: (url) => url.replace('https://gw.example.test', local) } });
    p = provider({ baseUrl: fake.url });

    const receipt = await p.send({ attemptId: 'a', messageId: 'm', channel: 'sms', to: '+15550002222', content: { text: 'hi' } }, { signal: new AbortController().signal });
    await fake.settled();

    expect(fake.callbacks.map((c) => [c.messageStatus, c.status])).toEqual([['sent', 200], ['delivered', 200]]);
    expect(events).toEqual([
      { type: 'status', providerMessageId: receipt.providerMessageId, status: 'sent', details: { twilioStatus: 'sent' } },
      { type: 'status', providerMessageId: receipt.providerMessageId, status: 'delivered', details: { twilioStatus: 'delivered' } },
    ]);
  });
});
