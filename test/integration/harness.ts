import type { Clock } from '../../src/clock.js';
/**
 * End-to-end harness: the whole gateway (in process, supertest) wired to the Twilio and Bandwidth
 * wire fakes (real sockets on 127.0.0.1), with the real SDKs in between. Provider callbacks are
 * built the way each provider builds them (Twilio: signed form posts; Bandwidth: JSON arrays
 * with HTTP Basic) and POSTed into `/webhooks/<instance>/<kind>`.
 */
import { expect } from 'vitest';
import type { Message } from '../../src/model.js';
import {
  statusCallbackRequest, statusParams, inboundRequest, inboundParams,
  startTwilioFake, type TwilioFake, type TwilioFakeOptions, type FormParams, type RecordedRequest as TwilioRequest,
} from '../fakes/twilio-fake.js';
import { startBandwidthFake, type BandwidthFake, type BandwidthFakeOptions } from '../fakes/bandwidth-fake.js';
import { API_KEY, READ_KEY, configText, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { metric } from '../helpers/metrics.js';

export const PUBLIC_URL = 'https://gw.example.test';
export const ACCOUNT_SID = `AC${'a1b2c3d4e5f60718'.repeat(2)}`;
export const AUTH_TOKEN = 'twilio-auth-token-int-7f3e9c1d';
export const TWILIO_FROM = '+15550001111';
export const BW_FROM = '+15550003333';
export const CUSTOMER = '+15557654321';
export const APPLICATION_ID = 'bw-app-int-0001';
export const BW_CLIENT_ID = 'bw-client-id-int';
export const BW_CLIENT_SECRET = 'bw-client-secret-int-5b8a2e';
export const CB_USER = 'bw-callbacks-int';
export const CB_PASSWORD = 'bw-callback-pass-int-9d4c';
export const CALLBACK_SECRET = 'callback-secret-int-0123456789';

/** Every secret value the test config holds; none may show up in logs, metrics or /-/config. */
export const SECRETS = [AUTH_TOKEN, BW_CLIENT_SECRET, CB_PASSWORD, CALLBACK_SECRET];

export const ROUTES = `
routes:
  wa-sms-sms:
    steps:
      - { channel: whatsapp, providers: [twilio-us], until: delivered, within: 60s }
      - { channel: sms, providers: [bandwidth], until: delivered, within: 60s }
      - { channel: sms, providers: [twilio-us], until: delivered, within: 60s }
  twilio-sms:
    steps:
      - { channel: sms, providers: [twilio-us], until: delivered, within: 60s }
  bw-sms:
    steps:
      - { channel: sms, providers: [bandwidth], until: delivered, within: 60s }
  bw-accepted:
    steps:
      - { channel: sms, providers: [bandwidth], until: accepted, within: 60s }
  twilio-then-bw:
    steps:
      - { channel: sms, providers: [twilio-us, bandwidth], until: delivered, within: 60s }
  bw-then-twilio:
    steps:
      - { channel: sms, providers: [bandwidth, twilio-us], until: delivered, within: 60s }
  bw-retry:
    steps:
      - { channel: sms, providers: [bandwidth], until: accepted, within: 60s }
      - { channel: whatsapp, providers: [twilio-us], until: accepted, within: 60s }
  permanent:
    steps:
      - { channel: sms, providers: [twilio-us], until: delivered, within: 60s }
      - { channel: sms, providers: [bandwidth], until: delivered, within: 60s }
`;

export function integrationConfig(twilio: TwilioFake, bw: BandwidthFake, retry = '{ initial: 100ms, max: 400ms, attempts: 2 }'): string {
  return configText(`
providers:
  twilio-us:
    plugin: twilio
    accountSid: "${ACCOUNT_SID}"
    authToken: "${AUTH_TOKEN}"
    from: "${TWILIO_FROM}"
    channels: [whatsapp, sms]
    baseUrl: "${twilio.url}"
    timeout: 5s
  bandwidth:
    plugin: bandwidth
    accountId: "${bw.accountId}"
    applicationId: "${APPLICATION_ID}"
    clientId: "${bw.clientId}"
    clientSecret: "${bw.clientSecret}"
    from: "${BW_FROM}"
    baseUrl: "${bw.url}"
    tokenUrl: "${bw.tokenUrl}"
    callbackUsername: "${CB_USER}"
    callbackPassword: "${CB_PASSWORD}"
    channels: [sms]
    timeout: 5s
${ROUTES}
`, `retry: ${retry}`, { server: `{ host: 127.0.0.1, port: 0, publicUrl: "${PUBLIC_URL}" }`, callbackSecret: CALLBACK_SECRET });
}

export interface Harness {
  gw: TestGateway;
  twilio: TwilioFake;
  bw: BandwidthFake;
  close(): Promise<void>;
}

export async function startHarness(options: { twilio?: TwilioFakeOptions; bandwidth?: BandwidthFakeOptions; retry?: string; clock?: Clock } = {}): Promise<Harness> {
  const twilio = await startTwilioFake({ credentials: { username: ACCOUNT_SID, password: AUTH_TOKEN }, ...options.twilio });
  const bw = await startBandwidthFake({ clientId: BW_CLIENT_ID, clientSecret: BW_CLIENT_SECRET, ...options.bandwidth });
  const gw = await startGateway(integrationConfig(twilio, bw, options.retry), { clock: options.clock });
  return {
    gw, twilio, bw,
    async close() {
      await gw.close();
      await twilio.close();
      await bw.close();
    },
  };
}

export const basic = (username: string, password: string): string => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

export async function send(h: Harness, route: string, to: Record<string, string | string[]> = { phone: CUSTOMER }, text = 'Your code is 123456'): Promise<string> {
  const res = await h.gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({ route, to, content: { text } });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

export async function getMessage(h: Harness, id: string): Promise<Message> {
  const res = await h.gw.request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY);
  expect(res.status).toBe(200);
  return res.body as Message;
}

/** Polls the message until `check` passes on it. */
export function waitMessage(h: Harness, id: string, check: (m: Message) => void, timeoutMs = 8000): Promise<Message> {
  return eventually(async () => {
    const m = await getMessage(h, id);
    check(m);
    return m;
  }, timeoutMs);
}

/** Twilio message-create requests recorded by the fake. */
export const twilioCreates = (h: Harness): TwilioRequest[] =>
  h.twilio.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Messages.json'));

/** The path of an absolute URL Twilio was asked to call (what Twilio would POST to, behind the proxy). */
export const pathOf = (url: string): string => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

/** POSTs a Twilio status callback for `sid`, signed (by default correctly) for the gateway's public status URL. */
export function twilioStatus(
  h: Harness,
  sid: string,
  status: string,
  opts: { errorCode?: string; authToken?: string; signedUrl?: string; instance?: string; params?: FormParams; signature?: string | null } = {},
) {
  const instance = opts.instance ?? 'twilio-us';
  const url = `${PUBLIC_URL}/webhooks/${instance}/status`;
  const params = opts.params ?? statusParams({ messageSid: sid, status, accountSid: ACCOUNT_SID, from: TWILIO_FROM, to: CUSTOMER, errorCode: opts.errorCode });
  const signed = statusCallbackRequest({ url: opts.signedUrl ?? url, authToken: opts.authToken ?? AUTH_TOKEN, params });
  const headers: Record<string, string> = { ...signed.headers };
  if (opts.signature === null) delete headers['x-twilio-signature'];
  else if (opts.signature !== undefined) headers['x-twilio-signature'] = opts.signature;
  return h.gw.request.post(pathOf(url)).set(headers).send(signed.body);
}

/** POSTs a signed Twilio inbound message to `/webhooks/<instance>/inbound`. */
export function twilioInbound(h: Harness, p: { from: string; to: string; body?: string; messageSid?: string; media?: { url: string; contentType: string }[] }) {
  const url = `${PUBLIC_URL}/webhooks/twilio-us/inbound`;
  const signed = inboundRequest({ url, authToken: AUTH_TOKEN, params: inboundParams({ ...p, accountSid: ACCOUNT_SID }) });
  return { request: () => h.gw.request.post(pathOf(url)).set(signed.headers).send(signed.body), params: signed.params };
}

/** POSTs a Bandwidth callback body (array of events, or any raw string) with HTTP Basic (or none: `auth: null`). */
export function bandwidthCallback(h: Harness, events: unknown, opts: { kind?: string; instance?: string; auth?: string | null } = {}) {
  const req = h.gw.request
    .post(`/webhooks/${opts.instance ?? 'bandwidth'}/${opts.kind ?? 'callbacks'}`)
    .set('content-type', 'application/json; charset=utf-8')
    .set('user-agent', 'BandwidthAPI/v2');
  const auth = opts.auth === undefined ? basic(CB_USER, CB_PASSWORD) : opts.auth;
  if (auth !== null) req.set('authorization', auth);
  return req.send(typeof events === 'string' ? events : JSON.stringify(events));
}

export async function metricsText(h: Harness): Promise<string> {
  const res = await h.gw.request.get('/metrics');
  expect(res.status).toBe(200);
  return res.text;
}

/** Every label value of every sample in a metrics text. */
export function labelValues(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const inner = /\{(.*)\}/.exec(line)?.[1];
    if (inner) for (const [, , v] of inner.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out.push(v);
  }
  return out;
}

export { API_KEY, READ_KEY, eventually, metric };
