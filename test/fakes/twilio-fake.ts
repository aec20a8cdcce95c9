/**
 * A local stand-in for the Twilio REST API (`api.twilio.com`) that speaks its wire format, plus
 * helpers that build the signed callbacks Twilio sends to a gateway. Used by the plugin tests, the
 * benchmarks and integration tests; point the plugin's `baseUrl` at `fake.url`.
 *
 * @example
 *   const fake = await startTwilioFake();
 *   fake.failNext({ status: 400, code: 21211 });
 *   // … provider.send(…) with baseUrl: fake.url …
 *   expect(fake.requests[0].form.To).toBe('+15550002222');
 *   await fake.close();
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';

export type FormParams = Record<string, string | string[]>;

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/2010-04-01/Accounts/AC…/Messages.json`. */
  path: string;
  /** The account SID in the path, when the path has one. */
  accountSid?: string;
  headers: IncomingHttpHeaders;
  /** Decoded `Authorization: Basic` credentials. */
  auth?: { username: string; password: string };
  rawBody: string;
  /** Form fields; a repeated key (`MediaUrl`) becomes an array, a single one stays a string. */
  form: FormParams;
}

/** A scripted answer for the next request. Without `status` it answers normally, only later (`delayMs`) or never (`hang`). */
export interface FakeScript {
  status?: number;
  /** Twilio error code in the JSON error body (`21211`, `21610`, `20429`…). */
  code?: number;
  message?: string;
  /** A raw body instead of Twilio's JSON error (an HTML 502 from a proxy, say). */
  body?: string;
  delayMs?: number;
  /** Never answer; the connection stays open until the client gives up or the fake closes. */
  hang?: boolean;
}

export interface MessageResource {
  sid: string;
  account_sid: string;
  messaging_service_sid: string | null;
  to: string;
  from: string | null;
  body: string;
  status: string;
  num_segments: string;
  num_media: string;
  direction: 'outbound-api';
  api_version: '2010-04-01';
  price: string | null;
  price_unit: string;
  error_code: number | null;
  error_message: string | null;
  date_created: string;
  date_updated: string;
  date_sent: string | null;
  uri: string;
  subresource_uris: Record<string, string>;
}

export interface SignedCallback {
  /** The URL the signature covers (the public URL Twilio would call). */
  url: string;
  headers: Record<string, string>;
  /** The form-encoded body to POST. */
  body: string;
  params: FormParams;
}

export interface TwilioFakeOptions {
  /** When set, requests with other Basic credentials get 401 / 20003, as from Twilio. */
  credentials?: { username: string; password: string };
  /**
   * When set, every created message with a `StatusCallback` gets these statuses POSTed to it,
   * signed with `authToken`, `delayMs` apart. `target` maps the signed public URL to where to POST.
   */
  autoStatus?: { authToken: string; statuses: string[]; delayMs?: number; errorCode?: string; target?: (url: string) => string };
}

export interface TwilioFake {
  /** `http://127.0.0.1:<port>`: the plugin's `baseUrl`. */
  url: string;
  requests: RecordedRequest[];
  messages: Map<string, MessageResource>;
  /** Results of the auto status callbacks sent so far. */
  callbacks: { url: string; messageStatus: string; status: number }[];
  /** Scripts the next request's answer; calls queue up, one per request. */
  failNext(script: FakeScript): void;
  /** Waits until every auto status callback scheduled so far was answered. */
  settled(): Promise<void>;
  reset(): void;
  close(): Promise<void>;
  statusCallbackRequest: typeof statusCallbackRequest;
  inboundRequest: typeof inboundRequest;
}

const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/(AC[^/]+)\/Messages\.json$/;
const MESSAGE_PATH = /^\/2010-04-01\/Accounts\/(AC[^/]+)\/Messages\/([^/]+)\.json$/;

export function parseForm(raw: string): FormParams {
  const out: FormParams = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

export function encodeForm(params: FormParams): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const item of Array.isArray(v) ? v : [v]) sp.append(k, item);
  return sp.toString();
}

function sign(url: string, authToken: string, params: FormParams): SignedCallback {
  const signature = twilio.getExpectedTwilioSignature(authToken, url, params);
  return {
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: encodeForm(params),
    params,
  };
}

/** A delivery receipt as Twilio POSTs it to a `StatusCallback`, signed for `url`. */
export function statusCallbackRequest(input: { url: string; authToken: string; params: FormParams }): SignedCallback {
  return sign(input.url, input.authToken, input.params);
}

/** An inbound message as Twilio POSTs it to a number's webhook, signed for `url`. */
export function inboundRequest(input: { url: string; authToken: string; params: FormParams }): SignedCallback {
  return sign(input.url, input.authToken, input.params);
}

export const newSid = (prefix: 'SM' | 'MM'): string => `${prefix}${randomBytes(16).toString('hex')}`;

/** Status callback parameters as Twilio sends them (`ErrorCode` only when given). */
export function statusParams(p: { messageSid: string; status: string; accountSid: string; from?: string; to?: string; errorCode?: string }): FormParams {
  return {
    MessageSid: p.messageSid, SmsSid: p.messageSid, MessageStatus: p.status, SmsStatus: p.status,
    AccountSid: p.accountSid, ApiVersion: '2010-04-01',
    ...(p.from !== undefined ? { From: p.from } : {}),
    ...(p.to !== undefined ? { To: p.to } : {}),
    ...(p.errorCode !== undefined ? { ErrorCode: p.errorCode } : {}),
  };
}

/** Inbound message parameters; `from` with a `whatsapp:` prefix makes it a WhatsApp message. */
export function inboundParams(p: { from: string; to: string; body?: string; accountSid: string; messageSid?: string; media?: { url: string; contentType: string }[]; extra?: FormParams }): FormParams {
  const media = p.media ?? [];
  const sid = p.messageSid ?? newSid(media.length > 0 ? 'MM' : 'SM');
  const params: FormParams = {
    MessageSid: sid, SmsMessageSid: sid, SmsSid: sid, AccountSid: p.accountSid, From: p.from, To: p.to,
    Body: p.body ?? '', NumMedia: String(media.length), NumSegments: '1', SmsStatus: 'received', ApiVersion: '2010-04-01',
  };
  media.forEach((m, i) => {
    params[`MediaUrl${i}`] = m.url;
    params[`MediaContentType${i}`] = m.contentType;
  });
  return { ...params, ...p.extra };
}

function decodeBasic(header: string | undefined): { username: string; password: string } | undefined {
  const m = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? undefined : { username: text.slice(0, i), password: text.slice(i + 1) };
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
const all = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function errorBody(status: number, code: number, message: string): string {
  return JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}

function createMessage(accountSid: string, form: FormParams): MessageResource | { status: number; code: number; message: string } {
  const to = first(form.To);
  const from = first(form.From);
  const service = first(form.MessagingServiceSid);
  const media = all(form.MediaUrl);
  const body = first(form.Body) ?? '';
  if (!to) return { status: 400, code: 21604, message: "A 'To' phone number is required." };
  if (!from && !service) return { status: 400, code: 21603, message: "A 'From' phone number is required." };
  if (!body && media.length === 0 && !first(form.ContentSid)) return { status: 400, code: 21602, message: 'Message body is required.' };
  const sid = newSid(media.length > 0 ? 'MM' : 'SM');
  const now = new Date().toUTCString().replace('GMT', '+0000');
  const uri = `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`;
  return {
    sid, account_sid: accountSid, messaging_service_sid: service ?? null, to, from: from ?? null, body,
    // Twilio answers `accepted` when a Messaging Service picks the sender, `queued` otherwise.
    status: service && !from ? 'accepted' : 'queued',
    num_segments: '1', num_media: String(media.length), direction: 'outbound-api', api_version: '2010-04-01',
    price: null, price_unit: 'USD', error_code: null, error_message: null,
    date_created: now, date_updated: now, date_sent: null, uri,
    subresource_uris: { media: uri.replace('.json', '/Media.json'), feedback: uri.replace('.json', '/Feedback.json') },
  };
}

/**
 * Starts the fake on 127.0.0.1 and a free port.
 *
 * @example const fake = await startTwilioFake({ credentials: { username: 'AC…', password: 'token' } });
 */
export async function startTwilioFake(options: TwilioFakeOptions = {}): Promise<TwilioFake> {
  const requests: RecordedRequest[] = [];
  const messages = new Map<string, MessageResource>();
  const callbacks: TwilioFake['callbacks'] = [];
  const scripts: FakeScript[] = [];
  const pending = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  const wait = (ms: number) => new Promise<void>((resolve) => {
    const t = setTimeout(() => { timers.delete(t); resolve(); }, ms);
    timers.add(t);
  });

  function sendAutoStatus(message: MessageResource, callbackUrl: string): void {
    const auto = options.autoStatus;
    if (!auto) return;
    const run = (async () => {
      for (const status of auto.statuses) {
        await wait(auto.delayMs ?? 0);
        const failed = status === 'failed' || status === 'undelivered';
        const params = statusParams({ messageSid: message.sid, status, accountSid: message.account_sid, from: message.from ?? undefined, to: message.to, errorCode: failed ? auto.errorCode : undefined });
        const signed = sign(callbackUrl, auto.authToken, params);
        message.status = status;
        const res = await fetch(auto.target ? auto.target(callbackUrl) : callbackUrl, { method: 'POST', headers: signed.headers, body: signed.body })
          .then(async (r) => { await r.arrayBuffer(); return r.status; }, () => 0);
        callbacks.push({ url: callbackUrl, messageStatus: status, status: res });
      }
    })();
    pending.add(run);
    void run.finally(() => pending.delete(run));
  }

  async function answer(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<void> {
    const reply = (status: number, body: string, type = 'application/json') => {
      if (!res.headersSent) res.writeHead(status, { 'content-type': type }).end(body);
    };
    const script = scripts.shift();
    if (script?.hang) return; // left open; close() tears it down
    if (script?.delayMs) await wait(script.delayMs);
    if (script?.status !== undefined) {
      const code = script.code ?? (script.status === 429 ? 20429 : script.status >= 500 ? 20500 : 21211);
      return reply(script.status, script.body ?? errorBody(script.status, code, script.message ?? `scripted error ${code}`), script.body ? 'text/html' : 'application/json');
    }
    const { credentials } = options;
    if (credentials && (record.auth?.username !== credentials.username || record.auth?.password !== credentials.password)) {
      return reply(401, errorBody(401, 20003, 'Authenticate'));
    }
    const listMatch = MESSAGES_PATH.exec(record.path.split('?')[0]);
    if (listMatch && req.method === 'POST') {
      const created = createMessage(listMatch[1], record.form);
      if (!('sid' in created)) return reply(created.status, errorBody(created.status, created.code, created.message));
      messages.set(created.sid, created);
      reply(201, JSON.stringify(created));
      const callbackUrl = first(record.form.StatusCallback);
      if (callbackUrl) sendAutoStatus(created, callbackUrl);
      return;
    }
    const oneMatch = MESSAGE_PATH.exec(record.path.split('?')[0]);
    const found = oneMatch && req.method === 'GET' ? messages.get(oneMatch[2]) : undefined;
    if (found) return reply(200, JSON.stringify(found));
    return reply(404, errorBody(404, 20404, `The requested resource ${record.path} was not found`));
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      const record: RecordedRequest = {
        method: req.method ?? 'GET',
        path,
        accountSid: /\/Accounts\/(AC[^/]+)/.exec(path)?.[1],
        headers: req.headers,
        auth: decodeBasic(req.headers.authorization),
        rawBody,
        form: parseForm(rawBody),
      };
      requests.push(record);
      answer(req, res, record).catch(() => res.headersSent || res.writeHead(500).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    messages,
    callbacks,
    failNext: (script) => void scripts.push(script),
    settled: async () => { while (pending.size > 0) await Promise.all([...pending]); },
    reset() {
      requests.length = 0;
      scripts.length = 0;
      callbacks.length = 0;
      messages.clear();
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    statusCallbackRequest,
    inboundRequest,
  };
}
