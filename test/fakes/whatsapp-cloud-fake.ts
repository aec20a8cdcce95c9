/**
 * A local fake of Meta's Graph API for the WhatsApp Cloud plugin, for tests and benchmarks: it
 * answers `POST /<version>/<phone-number-id>/messages` in the Cloud API's wire format (bearer
 * token, `{messages: [{id: "wamid…"}]}`, Graph error bodies), records every send, scripts errors,
 * and builds and posts webhook deliveries signed with the app secret as Meta signs them.
 *
 * @example
 *   const meta = await startWhatsAppCloudFake();
 *   // plugin options: { baseUrl: meta.url, phoneNumberId: meta.phoneNumberId, accessToken: meta.accessToken, appSecret: meta.appSecret, … }
 *   meta.failNext({ code: 131047 });
 *   const signed = meta.signed(meta.statusesBody([{ id: meta.sent[0].wamid, status: 'delivered' }]));
 *   await gw.request.post('/webhooks/wa/events').set(signed.headers).send(signed.body);
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, postStatus } from './fake-server.js';

export interface GraphSend {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** The wamid answered, or undefined when the send was failed on purpose. */
  wamid?: string;
}

/** A scripted answer: a Graph error by code (HTTP status from Meta's usual pairing unless given), or a raw answer. */
export type GraphFailure = { code: number; status?: number; message?: string; headers?: Record<string, string> } | { status: number; raw: string };

export interface StatusSpec {
  id: string;
  status: 'sent' | 'delivered' | 'read' | 'failed' | 'deleted';
  recipient?: string;
  timestamp?: number;
  error?: { code: number; title?: string; details?: string };
}

export interface InboundSpec {
  from: string;
  id?: string;
  timestamp?: number;
  type?: string;
  /** The type's own object (`{body}` for text, `{id, mime_type}` for image…). */
  part?: Record<string, unknown>;
  context?: { id: string };
  name?: string;
}

export interface WhatsAppCloudFake {
  /** `http://127.0.0.1:PORT`: the plugin's `baseUrl`. */
  url: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
  accessToken: string;
  appSecret: string;
  /** Every POST to a messages path, in arrival order (refused ones too). */
  sent: GraphSend[];
  failNext(failure: GraphFailure, times?: number): void;
  /** A `statuses` delivery for `phoneNumberId` (default: this fake's). */
  statusesBody(statuses: StatusSpec[], phoneNumberId?: string): string;
  /** A `messages` delivery (inbound) for `phoneNumberId` (default: this fake's). */
  messagesBody(messages: InboundSpec[], phoneNumberId?: string): string;
  /** The body with the headers Meta sends: JSON and `X-Hub-Signature-256` (with `secret`, default the app secret). */
  signed(body: string, secret?: string): { headers: Record<string, string>; body: string };
  /** POSTs a signed delivery to a gateway's webhook URL; resolves with the status code. */
  deliver(url: string, body: string): Promise<number>;
  close(): Promise<void>;
}

// Meta's usual HTTP status for each code when a test does not say (401 for tokens, 429-ish limits answer 400 at Meta too, so 400 is the default).
const STATUS_BY_CODE: Readonly<Record<number, number>> = { 190: 401, 10: 403, 200: 403, 4: 429, 130429: 429, 131056: 429, 1: 500, 2: 503, 131000: 500 };

export const wamid = (): string => `wamid.${randomBytes(24).toString('base64url')}`;

export function graphErrorBody(code: number, message = `(#${code}) Graph error ${code}`): string {
  return JSON.stringify({ error: { message, type: 'OAuthException', code, error_data: { messaging_product: 'whatsapp', details: message }, fbtrace_id: `A${randomBytes(8).toString('hex')}` } });
}

function json(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers }).end(body);
}

export async function startWhatsAppCloudFake(options: { phoneNumberId?: string; accessToken?: string; appSecret?: string } = {}): Promise<WhatsAppCloudFake> {
  const phoneNumberId = options.phoneNumberId ?? '106540352242922';
  const displayPhoneNumber = '15550783881';
  const accessToken = options.accessToken ?? 'EAAG-fake-access-token';
  const appSecret = options.appSecret ?? 'fake-app-secret-0123456789';
  const sent: GraphSend[] = [];
  const failures: GraphFailure[] = [];

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = (req.url ?? '').split('?')[0];
    const match = /^\/v[0-9.]+\/([0-9]+)\/messages$/.exec(path);
    if (req.method !== 'POST' || !match) return json(res, 400, graphErrorBody(100, 'Unsupported post request'));
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      return json(res, 400, graphErrorBody(100, 'Invalid parameter'));
    }
    const record: GraphSend = { path, headers: req.headers, body };
    sent.push(record);
    if (req.headers.authorization !== `Bearer ${accessToken}`) return json(res, 401, graphErrorBody(190, 'Error validating access token: Session has expired'));
    if (match[1] !== phoneNumberId) return json(res, 400, graphErrorBody(100, `Unsupported post request. Object with ID '${match[1]}' does not exist`));
    const failure = failures.shift();
    if (failure && 'raw' in failure) return json(res, failure.status, failure.raw);
    if (failure) return json(res, failure.status ?? STATUS_BY_CODE[failure.code] ?? 400, graphErrorBody(failure.code, failure.message), failure.headers);
    if (body.messaging_product !== 'whatsapp' || typeof body.to !== 'string' || typeof body.type !== 'string') {
      return json(res, 400, graphErrorBody(100, '(#100) Invalid parameter'));
    }
    record.wamid = wamid();
    json(res, 200, JSON.stringify({ messaging_product: 'whatsapp', contacts: [{ input: body.to, wa_id: String(body.to).replace(/^\+/, '') }], messages: [{ id: record.wamid, message_status: 'accepted' }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const envelope = (value: Record<string, unknown>, id: string) => JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: '102290129340398', changes: [{ value: { messaging_product: 'whatsapp', metadata: { display_phone_number: displayPhoneNumber, phone_number_id: id }, ...value }, field: 'messages' }] }],
  });
  const now = () => Math.floor(Date.now() / 1000);

  const fake: WhatsAppCloudFake = {
    url, phoneNumberId, displayPhoneNumber, accessToken, appSecret, sent,
    failNext(failure, times = 1) {
      for (let i = 0; i < times; i += 1) failures.push(failure);
    },
    statusesBody(statuses, id = phoneNumberId) {
      return envelope({
        statuses: statuses.map((s) => ({
          id: s.id, status: s.status, timestamp: String(s.timestamp ?? now()), recipient_id: s.recipient ?? '15551234567',
          ...(s.error ? { errors: [{ code: s.error.code, title: s.error.title ?? `Error ${s.error.code}`, message: s.error.title ?? `Error ${s.error.code}`, error_data: { details: s.error.details ?? '' } }] } : {}),
        })),
      }, id);
    },
    messagesBody(messages, id = phoneNumberId) {
      return envelope({
        contacts: messages.map((m) => ({ profile: { name: m.name ?? 'Test User' }, wa_id: m.from })),
        messages: messages.map((m) => ({
          from: m.from, id: m.id ?? wamid(), timestamp: String(m.timestamp ?? now()), type: m.type ?? 'text',
          [m.type ?? 'text']: m.part ?? { body: 'hello' },
          ...(m.context ? { context: { from: displayPhoneNumber, id: m.context.id } } : {}),
        })),
      }, id);
    },
    signed(body, secret = appSecret) {
      return { headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` }, body };
    },
    deliver: (target, body) => postStatus(target, fake.signed(body).headers, body),
    close: () => closeServer(server),
  };
  return fake;
}
