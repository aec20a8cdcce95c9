/**
 * A local fake of ACS Advanced Messaging's `POST /messages/notifications:send`: it verifies the
 * access-key HMAC signature exactly as @azure/communication-common makes it (or a bearer token
 * from the Entra fake), validates the NotificationContent, answers `202 {receipts}` or scripted
 * errors in the Azure Core envelope, and records every send.
 *
 * @example
 *   const acs = await startAcsFake({ channels: [WA_CHANNEL] });
 *   // plugin options: { endpoint: acs.url, accessKey: acs.accessKey, allowInsecure: true, … }
 *   acs.failNext({ status: 503, headers: { 'retry-after': '2' } });
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { failureQueue, json, startFakeServer, type Failure, type RecordedRequest } from './fake-server.js';

export interface AcsSent {
  messageId: string;
  apiVersion: string | null;
  /** `hmac` or `bearer`: how the request proved itself. */
  auth: 'hmac' | 'bearer';
  token?: string;
  body: Record<string, unknown> & { channelRegistrationId: string; to: string[]; kind: string };
}

export interface AcsFake {
  url: string;
  /** The resource's access key (base64), what the plugin's `accessKey` holds. */
  accessKey: string;
  requests: RecordedRequest[];
  sent: AcsSent[];
  /** Why the last refused request was refused (signature mismatch…), for test messages. */
  lastRefusal?: string;
  failNext(failure: Failure | number, times?: number): void;
  close(): Promise<void>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const KINDS = new Set(['text', 'image', 'document', 'video', 'audio', 'template', 'image_v0', 'sticker', 'reaction', 'interactive']);
const MAX_CLOCK_SKEW_MS = 15 * 60_000;

const azureError = (code: string, message: string) => ({ error: { code, message } });

function errorBody(status: number): unknown {
  if (status === 401) return azureError('Unauthorized', 'Denied by the authentication policy');
  if (status === 429) return azureError('TooManyRequests', 'Rate limit exceeded');
  if (status >= 500) return azureError('ServiceUnavailable', 'The service is temporarily unavailable');
  return azureError('BadRequest', 'Invalid request');
}

/**
 * Recomputes the access-key signature (§5.2): `VERB\npathAndQuery\nx-ms-date;host;contentHash`,
 * HMAC-SHA256 with the base64-decoded key, and compares the whole Authorization header.
 */
export function verifyHmac(method: string, pathAndQuery: string, headers: IncomingHttpHeaders, raw: string, accessKey: string, now = Date.now()): string | undefined {
  const date = headers['x-ms-date'];
  const contentHash = headers['x-ms-content-sha256'];
  const host = headers.host;
  if (typeof date !== 'string' || typeof contentHash !== 'string' || typeof host !== 'string') return 'missing x-ms-date, x-ms-content-sha256 or host';
  if (Math.abs(now - Date.parse(date)) > MAX_CLOCK_SKEW_MS) return `x-ms-date ${date} is too far from now`;
  const expectedHash = createHash('sha256').update(raw, 'utf8').digest('base64');
  if (contentHash !== expectedHash) return 'x-ms-content-sha256 does not match the body';
  const stringToSign = `${method}\n${pathAndQuery}\n${date};${host};${contentHash}`;
  const signature = createHmac('sha256', Buffer.from(accessKey, 'base64')).update(stringToSign, 'utf8').digest('base64');
  const expected = `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`;
  return headers.authorization === expected ? undefined : 'signature mismatch';
}

function contentProblem(body: unknown, channels: ReadonlySet<string>): string | undefined {
  if (!isObject(body)) return 'body must be a NotificationContent object';
  if (typeof body.channelRegistrationId !== 'string' || !channels.has(body.channelRegistrationId)) return `unknown channelRegistrationId ${String(body.channelRegistrationId)}`;
  if (!Array.isArray(body.to) || body.to.length === 0 || body.to.some((t) => typeof t !== 'string' || t === '')) return 'to must be a non-empty array of recipients';
  if (typeof body.kind !== 'string' || !KINDS.has(body.kind)) return `unknown kind ${String(body.kind)}`;
  if (body.kind === 'text' && typeof body.content !== 'string') return 'text needs content';
  if (['image', 'document', 'video', 'audio'].includes(body.kind) && typeof body.mediaUri !== 'string') return `${body.kind} needs mediaUri`;
  if (body.kind === 'template') {
    const t = isObject(body.template) ? body.template : {};
    if (typeof t.name !== 'string' || typeof t.language !== 'string') return 'template needs name and language';
    const names = new Set((Array.isArray(t.values) ? t.values : []).map((v) => (isObject(v) ? v.name : undefined)));
    const bindings = isObject(t.bindings) && Array.isArray(t.bindings.body) ? t.bindings.body : [];
    if (bindings.some((b) => !isObject(b) || !names.has(b.refValue))) return 'template bindings name a value that does not exist';
  }
  return undefined;
}

export async function startAcsFake(options: { channels: readonly string[]; accessKey?: string; bearer?: (token: string) => boolean }): Promise<AcsFake> {
  const accessKey = options.accessKey ?? randomBytes(32).toString('base64');
  const channels = new Set(options.channels);
  const failures = failureQueue();
  const fake: AcsFake = { url: '', accessKey, requests: [], sent: [], failNext: failures.push, close: async () => undefined };

  const server = await startFakeServer(async (req, res, recorded) => {
    fake.requests.push(recorded);
    const url = new URL(recorded.url, 'http://fake');
    if (req.method !== 'POST' || url.pathname !== '/messages/notifications:send') return json(res, 404, azureError('NotFound', `no route for ${req.method} ${url.pathname}`));
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const refusal = bearer !== undefined
      ? (options.bearer?.(bearer) ? undefined : 'bearer token not issued or expired')
      : verifyHmac('POST', recorded.url, req.headers, recorded.raw, accessKey);
    if (refusal) {
      fake.lastRefusal = refusal;
      return json(res, 401, azureError('Unauthorized', refusal));
    }
    if (await failures.apply(res, errorBody)) return;
    const problem = contentProblem(recorded.body, channels);
    if (problem) return json(res, 400, azureError('BadRequest', problem));
    const body = recorded.body as AcsSent['body'];
    const messageId = randomUUID();
    fake.sent.push({ messageId, apiVersion: url.searchParams.get('api-version'), auth: bearer ? 'bearer' : 'hmac', ...(bearer ? { token: bearer } : {}), body });
    json(res, 202, { receipts: body.to.map((to, i) => ({ messageId: i === 0 ? messageId : randomUUID(), to })) });
  });
  fake.url = server.url;
  fake.close = server.close;
  return fake;
}
