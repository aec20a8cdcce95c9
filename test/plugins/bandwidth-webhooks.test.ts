import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBandwidthProvider, describeDeliveryError, type BandwidthOptions } from '../../plugins/bandwidth/index.js';
import { type PluginDeps, type WebhookHandler, type WebhookRequest, type WebhookResult } from '../../src/plugin-api.js';
import { deliveredEvent, failedEvent, postCallbacks, receivedEvent, statusEvent, type FakeMessage } from '../fakes/bandwidth-fake.js';
import { pluginDeps } from '../helpers/plugin-deps.js';

const BW_NUMBER = '+15550001111';
const PERSON = '+15557654321';
const CB = { username: 'bw-callbacks', password: 'cb-pass-123' };

const makeDeps = (): PluginDeps => pluginDeps('bw');

const options = (extra: Partial<BandwidthOptions> = {}): BandwidthOptions => Object.freeze({
  accountId: '9900000', applicationId: 'app-123', clientId: 'c', clientSecret: 's', from: BW_NUMBER,
  baseUrl: 'http://127.0.0.1:9/api/v2', tokenUrl: 'http://127.0.0.1:9/token', channels: ['sms', 'mms'] as ('sms' | 'mms')[], timeout: '1s',
  callbackUsername: CB.username, callbackPassword: CB.password, ...extra,
});

const provider = createBandwidthProvider(options(), makeDeps());
const hook = (kind = 'callbacks') => provider.webhooks?.[kind] as WebhookHandler;

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

/** `authorization: null` sends no Authorization header. */
function request(body: unknown, authorization: string | null = basic(CB.username, CB.password)): WebhookRequest {
  const rawBody = typeof body === 'string' ? body : JSON.stringify(body);
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try { parsed = JSON.parse(body); } catch { parsed = undefined; }
  }
  return {
    method: 'POST',
    url: 'https://gw.example.test/webhooks/bandwidth/callbacks',
    headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'BandwidthAPI/v2', ...(authorization ? { authorization } : {}) },
    query: {},
    rawBody,
    body: parsed,
  };
}

async function handle(body: unknown, authorization?: string | null, kind?: string): Promise<WebhookResult> {
  return hook(kind)(request(body, authorization));
}

async function events(body: unknown) {
  const result = await handle(body);
  if (!result.ok) throw new Error(`rejected: ${result.reason}`);
  return result.events;
}

const sent: FakeMessage = {
  id: '1732363200000abc123def456', owner: BW_NUMBER, applicationId: 'app-123', time: '2026-11-23T12:00:00.000Z', segmentCount: 1,
  direction: 'out', to: [PERSON], from: BW_NUMBER, text: 'Hello', tag: 'att-42', priority: 'default',
};

describe('bandwidth webhooks: parsing', () => {
  it('registers callbacks, inbound and status kinds, all behaving the same', async () => {
    expect(Object.keys(provider.webhooks ?? {}).sort()).toEqual(['callbacks', 'inbound', 'status']);
    const body = [deliveredEvent(sent)];
    const results = await Promise.all(['callbacks', 'inbound', 'status'].map((k) => handle(body, basic(CB.username, CB.password), k)));
    for (const r of results) expect(r).toEqual(results[0]);
    expect(results[0].ok).toBe(true);
  });

  it('message-received (SMS) → an inbound sms event', async () => {
    const event = receivedEvent({ from: PERSON, to: BW_NUMBER, text: 'STOP', id: 'in-1' });
    expect(await events([event])).toEqual([{
      type: 'inbound', channel: 'sms', from: PERSON, to: BW_NUMBER, text: 'STOP', providerMessageId: 'in-1', receivedAt: event.time,
      details: { bandwidthType: 'message-received', segmentCount: 1, applicationId: 'fake-application-id' },
    }]);
  });

  it('message-received with media → an inbound mms event carrying the media URLs', async () => {
    const media = ['https://messaging.bandwidth.com/api/v2/users/9900000/media/abc/0/photo.jpg'];
    const [event] = await events([receivedEvent({ from: PERSON, to: BW_NUMBER, text: '', media, id: 'in-2' })]);
    expect(event).toMatchObject({ type: 'inbound', channel: 'mms', media, providerMessageId: 'in-2' });
    expect(event).not.toHaveProperty('text');
    expect(event.details).toMatchObject({ mediaRequiresAuth: true });
  });

  it('a group inbound message names our number as `to` and lists the participants', async () => {
    const participants = [BW_NUMBER, '+15550002222', '+15550003333'];
    const [event] = await events([receivedEvent({ from: PERSON, to: BW_NUMBER, text: 'hi all', participants })]);
    expect(event).toMatchObject({ type: 'inbound', to: BW_NUMBER, from: PERSON, details: { group: true, participants } });
  });

  it.each([
    ['message-sending', 'sent'],
    ['message-delivered', 'delivered'],
    ['message-read', 'read'],
  ] as const)('%s → status %s with the message id and tag', async (type, status) => {
    const [event] = await events([statusEvent(type, sent)]);
    expect(event).toMatchObject({ type: 'status', providerMessageId: sent.id, status, details: { bandwidthType: type, tag: 'att-42' } });
    expect(event).not.toHaveProperty('errorCode');
  });

  it('message-failed → failed with the code, a readable reason and its class', async () => {
    const [permanent] = await events([failedEvent(sent, 4720, 'invalid-destination-address')]);
    expect(permanent).toMatchObject({
      type: 'status', providerMessageId: sent.id, status: 'failed', errorCode: '4720',
      errorReason: 'Invalid destination address (Bandwidth 4720)',
      details: { errorName: 'invalid-destination-address', errorClass: 'permanent', permanent: true, retryable: false, billable: true },
    });
    const [retryable] = await events([failedEvent(sent, 5620)]);
    expect(retryable).toMatchObject({ status: 'failed', errorCode: '5620', details: { errorClass: 'retryable', retryable: true, permanent: false } });
  });

  it('parses every event of one array in order', async () => {
    const list = await events([statusEvent('message-sending', sent), deliveredEvent(sent), receivedEvent({ from: PERSON, to: BW_NUMBER, text: 'thx' })]);
    expect(list.map((e) => (e.type === 'status' ? e.status : e.type))).toEqual(['sent', 'delivered', 'inbound']);
  });

  it('skips event types the gateway does not use, so Bandwidth stops retrying them', async () => {
    const rbm = { ...receivedEvent({ from: PERSON, to: BW_NUMBER }), type: 'suggestion-response' };
    expect(await handle([rbm])).toEqual({ ok: true, events: [] });
    expect(await handle([])).toEqual({ ok: true, events: [] });
  });

  it('accepts a lone event object (the OpenAPI shape) as a one-event array', async () => {
    expect(await events(deliveredEvent(sent))).toHaveLength(1);
  });

  it('parses the raw body even when the HTTP layer did not parse it', async () => {
    const req = request([deliveredEvent(sent)]);
    const result = await hook()({ ...req, body: undefined });
    expect(result).toMatchObject({ ok: true, events: [{ status: 'delivered' }] });
  });
});

describe('bandwidth webhooks: rejections', () => {
  it.each([
    ['no Authorization header', null],
    ['a wrong password', basic(CB.username, 'nope')],
    ['a wrong user', basic('someone', CB.password)],
    ['a bearer token', 'Bearer cb-pass-123'],
  ])('401 for %s', async (_name, authorization) => {
    const result = await handle([deliveredEvent(sent)], authorization);
    expect(result).toMatchObject({ ok: false, status: 401 });
  });

  it('401 for everything when no callback credentials are configured', async () => {
    const open = createBandwidthProvider(options({ callbackUsername: undefined, callbackPassword: undefined }), makeDeps());
    const result = await open.webhooks?.callbacks(request([deliveredEvent(sent)]));
    expect(result).toMatchObject({ ok: false, status: 401 });
  });

  it.each([
    ['invalid JSON', '[{"type":'],
    ['a JSON string', '"hello"'],
    ['a number', 42],
    ['null', null],
    ['an array holding a non-object', [1]],
    ['an event without type', [{ message: { id: 'x' } }]],
    ['an event without message', [{ type: 'message-delivered' }]],
    ['a message without id', [{ type: 'message-delivered', message: { to: [PERSON] } }]],
    ['message-failed without errorCode', [{ ...deliveredEvent(sent), type: 'message-failed' }]],
    ['message-received without from', [{ type: 'message-received', to: BW_NUMBER, message: { id: 'x', to: [BW_NUMBER] } }]],
  ])('400 for %s, without throwing', async (_name, body) => {
    const result = await handle(body);
    expect(result).toMatchObject({ ok: false, status: 400 });
  });

  it('checks credentials before looking at the body', async () => {
    expect(await handle('not json', basic('x', 'y'))).toMatchObject({ ok: false, status: 401 });
  });
});

describe('bandwidth webhooks over HTTP, posted by the fake', () => {
  let server: Server;
  let url: string;
  const seen: WebhookResult[] = [];

  beforeAll(async () => {
    // A stand-in for the core's webhook route: hand the request to the handler, answer its status.
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += String(c)));
      req.on('end', () => {
        let body: unknown;
        try { body = JSON.parse(raw); } catch { body = undefined; }
        void Promise.resolve(hook()({ method: 'POST', url: `https://gw.example.test${req.url}`, headers: req.headers, query: {}, rawBody: raw, body })).then((result) => {
          seen.push(result);
          res.writeHead(result.ok ? 200 : result.status).end();
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/bandwidth/status`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('accepts the fake\'s callbacks with Basic auth and refuses them without', async () => {
    expect((await postCallbacks(url, [deliveredEvent(sent)], CB)).status).toBe(200);
    expect(seen.at(-1)).toMatchObject({ ok: true, events: [{ providerMessageId: sent.id, status: 'delivered' }] });
    expect((await postCallbacks(url, [deliveredEvent(sent)])).status).toBe(401);
  });
});

describe('bandwidth delivery error table', () => {
  it.each([
    [4720, 'invalid-destination-address', 'permanent', true],
    [4775, 'destination-rejected-due-to-user-opt-out', 'permanent', true],
    [4405, 'rejected-unallocated-from-number', 'permanent', false],
    [4435, 'forbidden-too-many-recipients', 'permanent', false],
    [4470, 'rejected-spam-detected', 'permanent', true],
    [4360, 'message-not-sent-expiration-date-passed', 'permanent', false],
    [5620, 'carrier-service-failure', 'retryable', true],
    [5500, 'message-send-failed', 'retryable', false],
    [9999, 'unknown-error', 'ambiguous', true],
  ] as const)('%i is %s (%s, billable %s)', (code, name, cls, billable) => {
    const e = describeDeliveryError(code);
    expect(e).toMatchObject({ code, name, class: cls, retryable: cls === 'retryable', billable });
  });

  it('5100–5231 are Bandwidth temporary errors, retryable', () => {
    for (const code of [5100, 5150, 5231]) {
      expect(describeDeliveryError(code)).toMatchObject({ name: 'bandwidth-temporary-error', class: 'retryable', retryable: true });
    }
  });

  it('9902 (no receipt in time) is ambiguous, not retryable, not a proof of loss', () => {
    expect(describeDeliveryError(9902)).toMatchObject({ name: 'delivery-receipt-expired', class: 'ambiguous', retryable: false });
    expect(describeDeliveryError(9902)).not.toHaveProperty('billable');
  });

  it('an unlisted code is classed by its first digit and named by the callback\'s description', () => {
    expect(describeDeliveryError(4999, 'some-new-error')).toMatchObject({ name: 'some-new-error', class: 'permanent', reason: 'Some new error (Bandwidth 4999)' });
    expect(describeDeliveryError(5777)).toMatchObject({ name: 'unknown-error-code', class: 'retryable' });
  });
});
