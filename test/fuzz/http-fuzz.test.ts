/**
 * Property-based fuzzing of every HTTP route (issue 6): random methods, paths, ids, query strings,
 * headers (API keys present, absent, wrong), content types and bodies, and forged provider
 * webhooks for every configured instance. The gateway must answer every one below 500, in the one
 * error shape, and still accept and serve a normal message afterwards. Bounded by run counts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import supertest from 'supertest';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, READ_KEY, configText, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';

const PUBLIC_URL = 'https://gw.example.test';
const AUTH_TOKEN = 'twilio-auth-token-fuzz-7f3e9c1d';
const CB_USER = 'bw-callbacks-fuzz';
const CB_PASSWORD = 'bw-callback-pass-fuzz-9d4c';
const MOCK_TOKEN = 'mock-hook-token-fuzz-1';

// The plugins are never asked to send (no route uses them): their endpoints are a closed port.
const YAML = configText(`
providers:
  sms: { plugin: mock, channels: [sms], outcome: delivered, after: 5ms, webhookToken: "${MOCK_TOKEN}" }
  open: { plugin: mock, channels: [email], outcome: none }
  twilio-us:
    plugin: twilio
    accountSid: "AC${'0'.repeat(32)}"
    authToken: "${AUTH_TOKEN}"
    from: "+15550001111"
    channels: [sms, whatsapp]
    baseUrl: "http://127.0.0.1:9"
  bandwidth:
    plugin: bandwidth
    accountId: "9900000"
    applicationId: "bw-app-fuzz"
    clientId: "bw-client-fuzz"
    clientSecret: "bw-client-secret-fuzz-5b8a"
    from: "+15550003333"
    baseUrl: "http://127.0.0.1:9"
    tokenUrl: "http://127.0.0.1:9/token"
    callbackUsername: "${CB_USER}"
    callbackPassword: "${CB_PASSWORD}"
    channels: [sms]
routes:
  default:
    steps:
      - { channel: sms, providers: [sms], until: delivered, within: 5m }
  mail:
    steps:
      - { channel: email, providers: [open], until: delivered, within: 5m }
`, '', { server: `{ host: 127.0.0.1, port: 0, publicUrl: "${PUBLIC_URL}", bodyLimit: 64kb }` });

const PROTO_KEYS = ['__proto__', 'constructor', 'toString', 'prototype', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
const INSTANCES = ['sms', 'open', 'twilio-us', 'bandwidth', 'nobody', ...PROTO_KEYS];
const KINDS = ['inbound', 'status', 'callbacks', 'events', ...PROTO_KEYS];

// --- arbitraries -------------------------------------------------------------------------------

const junk = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(...PROTO_KEYS, '', ' ', '%00', '%zz', '..', '../..', '%2e%2e%2f', '%E0%A4%A', '\u0000', 'null', '[]', '{}', '-1', '1e309'),
);
const ulid = fc.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/);
const id = fc.oneof(ulid, junk);
/** A path segment as a client would put it on the wire: percent-encoded, or raw bad escapes. */
const segment = fc.oneof(id.map((s) => encodeURIComponent(s)), fc.constantFrom('%zz', '%E0%A4%A', '%2F', '%00', '.', '..'));

const path = fc.oneof(
  fc.constant('/v1/messages'),
  segment.map((s) => `/v1/messages/${s}`),
  segment.map((s) => `/v1/messages/${s}/cancel`),
  fc.constant('/v1/inbound'),
  fc.constant('/v1/dead-letters'),
  segment.map((s) => `/v1/dead-letters/${s}`),
  segment.map((s) => `/v1/dead-letters/${s}/replay`),
  fc.constantFrom('/-/reload', '/-/config', '/-/healthy', '/-/ready', '/-/status', '/metrics', '/openapi.json'),
  fc.constantFrom('/ui', '/ui/app.js', '/ui/app.css', '/ui/', '/ui/index.html', '/ui/../package.json', '/ui/%2e%2e/package.json'),
  fc.tuple(fc.oneof(fc.constantFrom(...INSTANCES), segment), fc.oneof(fc.constantFrom(...KINDS), segment)).map(([i, k]) => `/webhooks/${i}/${k}`),
  fc.array(segment, { maxLength: 4 }).map((s) => `/${s.join('/')}`),
);

const queryValue = fc.oneof(junk, fc.integer({ min: -10, max: 100_000 }).map(String), ulid, fc.constantFrom('sent', 'delivered', 'sms', 'default', '2026-01-01T00:00:00Z'));
const queryKey = fc.oneof(fc.constantFrom('limit', 'cursor', 'status', 'route', 'since', 'instance', 'channel', 'from', 'to', 'limit[]', 'a[b]', ...PROTO_KEYS), fc.string({ maxLength: 10 }));
const query = fc.array(fc.tuple(queryKey, queryValue), { maxLength: 5 }).map((pairs) =>
  pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`);

const auth = fc.oneof(
  fc.constant<Record<string, string>>({}),
  fc.constant({ 'x-api-key': API_KEY }),
  fc.constant({ authorization: `Bearer ${API_KEY}` }),
  fc.constant({ 'x-api-key': READ_KEY }),
  junk.map((k) => ({ 'x-api-key': k.replace(/[^\x21-\x7e]/g, '') || 'x' })),
  junk.map((k) => ({ authorization: `Bearer ${k.replace(/[^\x21-\x7e]/g, '')}` })),
  fc.string({ maxLength: 30 }).map((s) => ({ authorization: `Basic ${Buffer.from(s).toString('base64')}` })),
);

const contentType = fc.option(fc.constantFrom(
  'application/json', 'application/json; charset=utf-8', 'application/vnd.api+json', 'text/plain', 'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x', 'application/xml', 'application/octet-stream', 'application/json; charset=klingon', 'garbage', '*/*',
), { nil: undefined });

const address = fc.oneof(fc.constantFrom('+15551234567', '+15557654321', 'a@example.com'), junk);
const sendBody = fc.record({
  route: fc.oneof(fc.constantFrom('default', 'mail', ...PROTO_KEYS), junk),
  to: fc.oneof(fc.record({ sms: address }, { requiredKeys: [] }), fc.record({ phone: address, email: address }, { requiredKeys: [] }), fc.jsonValue({ maxDepth: 2 })),
  content: fc.oneof(
    fc.record({ text: fc.string({ maxLength: 50 }) }),
    fc.record({ text: fc.string(), channels: fc.dictionary(fc.constantFrom('sms', 'email', '__proto__', 'x'), fc.jsonValue({ maxDepth: 3 })) }, { requiredKeys: [] }),
    fc.jsonValue({ maxDepth: 3 }),
  ),
  callbackUrl: fc.oneof(fc.webUrl(), fc.constantFrom('http://999.999.999.999/x', 'http://169.254.169.254/', 'http://[::1]/', 'ftp://x/', 'http://localhost/x'), junk),
  tags: fc.dictionary(fc.oneof(junk, fc.constantFrom(...PROTO_KEYS)), fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 1 })), { maxKeys: 4 }),
}, { requiredKeys: [] });

const deep = fc.integer({ min: 100, max: 8000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`);
const body = fc.oneof(
  fc.constant(undefined),
  sendBody.map((b) => JSON.stringify(b)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map((d) => new URLSearchParams(d).toString()),
  deep,
  deep.map((d) => `{"route":"default","to":{"sms":"+15551234567"},"content":{"text":"x","channels":{"sms":{"text":"x","n":${d}}}}}`),
  fc.constantFrom('{"route":', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}', 'null', '[]', '"x"', '1e400', '\u0000'),
  fc.integer({ min: 60_000, max: 90_000 }).map((n) => JSON.stringify({ route: 'default', to: { sms: '+15551234567' }, content: { text: 'x'.repeat(n) } })),
);

const method = fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'PROPFIND');
const extraHeaders = fc.record({
  'idempotency-key': fc.oneof(junk, fc.string({ minLength: 250, maxLength: 300 })),
  'x-twilio-signature': fc.base64String({ maxLength: 40 }),
  'x-mock-token': fc.oneof(junk, fc.constant(MOCK_TOKEN)),
  'x-forwarded-proto': fc.constantFrom('http', 'https', 'gopher'),
}, { requiredKeys: [] });

// --- the run -----------------------------------------------------------------------------------

interface Figures {
  sent: number;
  byClass: Record<string, number>;
}

const headerSafe = (v: string): string => v.replace(/[^\x20-\x7e]/g, '');

describe('HTTP fuzz (issue 6)', () => {
  let gw: TestGateway;
  let server: Server;
  let http: ReturnType<typeof supertest>;
  const figures: Figures = { sent: 0, byClass: {} };
  const failures: string[] = [];

  beforeAll(async () => {
    gw = await startGateway(YAML);
    server = createServer(gw.app.http.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    http = supertest(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterAll(async () => {
    console.log(`http fuzz: ${figures.sent} requests; by status class ${JSON.stringify(figures.byClass)}`);
    await new Promise((r) => server.close(r));
    await gw.close();
  });

  async function fire(m: string, url: string, headers: Record<string, string>, payload: string | undefined) {
    let req = http[m.toLowerCase() as 'get'](url);
    for (const [k, v] of Object.entries(headers)) req = req.set(k, headerSafe(v));
    const res = payload === undefined || m === 'GET' || m === 'HEAD' ? await req : await req.send(payload);
    figures.sent += 1;
    const cls = `${Math.floor(res.status / 100)}xx`;
    figures.byClass[cls] = (figures.byClass[cls] ?? 0) + 1;
    const what = `${m} ${url} [${JSON.stringify(headers).slice(0, 200)}] ${String(payload).slice(0, 200)}`;
    if (res.status >= 500) failures.push(`${res.status} for ${what}: ${JSON.stringify(res.body)}`);
    if (res.status >= 400 && m !== 'HEAD') {
      const keys = Object.keys(res.body ?? {}).sort();
      const shaped = typeof res.body?.error === 'string' && typeof res.body?.code === 'string' && typeof res.body?.message === 'string'
        && keys.every((k) => ['code', 'details', 'error', 'message'].includes(k));
      if (!shaped) failures.push(`${res.status} without the error shape for ${what}: ${res.text.slice(0, 200)}`);
    }
    if (res.status === 405 && !res.headers.allow) failures.push(`405 without Allow for ${what}`);
    return res;
  }

  it('random requests across every route: no 5xx, one error shape', async () => {
    await fc.assert(
      fc.asyncProperty(method, path, query, auth, contentType, extraHeaders, body, async (m, p, q, a, ct, extra, payload) => {
        const headers: Record<string, string> = { ...a, ...extra };
        if (ct !== undefined) headers['content-type'] = ct;
        await fire(m, `${p}${q}`, headers, payload);
        return true;
      }),
      // Under a loaded CI machine the time limit ends the run early; it still has to be thousands.
      { numRuns: 3000, interruptAfterTimeLimit: 40_000 },
    );
    expect(figures.sent).toBeGreaterThanOrEqual(1000);
    expect(failures.slice(0, 10)).toEqual([]);
  }, 90_000);

  it('forged webhooks for every plugin instance are refused below 500', async () => {
    const forged: fc.Arbitrary<{ path: string; headers: Record<string, string>; payload: string }> = fc.oneof(
      // Twilio: form posts with a signature over another token, another URL, or nothing at all.
      fc.tuple(fc.constantFrom('inbound', 'status', ...PROTO_KEYS), fc.dictionary(fc.constantFrom('MessageSid', 'MessageStatus', 'From', 'To', 'Body', 'NumMedia', 'MediaUrl0', '__proto__', 'constructor'), fc.string({ maxLength: 20 })), fc.constantFrom('wrong-token-0123', AUTH_TOKEN), fc.boolean())
        .map(([kind, params, token, retarget]) => {
          const url = `${PUBLIC_URL}/webhooks/twilio-us/${retarget ? 'elsewhere' : kind}`;
          const signature = token === AUTH_TOKEN && !retarget ? 'AAAA' : twilio.getExpectedTwilioSignature(token, url, params);
          return { path: `/webhooks/twilio-us/${kind}`, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, payload: new URLSearchParams(params).toString() };
        }),
      // Bandwidth: JSON event arrays with wrong or missing Basic credentials.
      fc.tuple(fc.constantFrom('callbacks', 'inbound', 'status', ...PROTO_KEYS), fc.array(fc.record({ type: fc.constantFrom('message-delivered', 'message-failed', 'message-received', ...PROTO_KEYS), message: fc.record({ id: fc.string(), to: fc.array(fc.string()) }), errorCode: fc.oneof(fc.integer(), fc.string()) }), { maxLength: 3 }), fc.option(fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }))))
        .map(([kind, events, creds]) => ({
          path: `/webhooks/bandwidth/${kind}`,
          headers: { 'content-type': 'application/json', ...(creds ? { authorization: `Basic ${Buffer.from(`${creds[0]}:${creds[1]}`).toString('base64')}` } : {}) },
          payload: JSON.stringify(events),
        })),
      // Mock: the right or a wrong token, and any JSON.
      fc.tuple(fc.constantFrom('inbound', 'status', ...PROTO_KEYS), fc.jsonValue({ maxDepth: 3 }), fc.boolean())
        .map(([kind, value, rightToken]) => ({
          path: `/webhooks/sms/${kind}`,
          headers: { 'content-type': 'application/json', 'x-mock-token': rightToken ? MOCK_TOKEN : 'forged-token' },
          payload: JSON.stringify(value),
        })),
    );
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(forged, async (f) => {
        const res = await fire('POST', f.path, f.headers, f.payload);
        // Only the mock with its right token may get through; every forged credential is refused.
        if (!(f.path.startsWith('/webhooks/sms/') && f.headers['x-mock-token'] === MOCK_TOKEN)) {
          if (res.status < 400) failures.push(`forged webhook accepted: ${f.path} ${f.payload.slice(0, 100)}`);
          else refused += 1;
        }
        return true;
      }),
      { numRuns: 1000, interruptAfterTimeLimit: 15_000 },
    );
    expect(refused).toBeGreaterThan(0);
    expect(failures.slice(0, 10)).toEqual([]);
    const metrics = (await http.get('/metrics')).text;
    expect(metrics).toMatch(/switchboard_webhooks_total\{provider="twilio-us",kind="status",result="rejected_signature"\} [1-9]/);
  }, 60_000);

  it('the gateway keeps working: a normal send is 202 and readable, and no prototype was polluted', async () => {
    const res = await http.post('/v1/messages').set('x-api-key', API_KEY).send({ route: 'default', to: { sms: '+15551234567' }, content: { text: 'after the fuzz' } });
    expect(res.status).toBe(202);
    await eventually(async () => {
      const got = await http.get(`/v1/messages/${res.body.id}`).set('x-api-key', READ_KEY);
      expect(got.status).toBe(200);
      expect(got.body.status).toBe('delivered');
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await http.get('/-/ready')).status).toBe(200);
    expect(gw.logs.join('')).not.toContain('unhandled error');
  });
});
