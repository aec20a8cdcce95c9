/**
 * A local fake of Bandwidth's Messaging v2 API and OAuth token endpoint, for tests and benchmarks.
 * It speaks the wire format bandwidth-sdk 8 uses (paths, JSON shapes, error bodies) and records
 * every request so tests can assert what the plugin actually sent.
 *
 * @example
 *   const bw = await startBandwidthFake();
 *   // plugin options: { baseUrl: bw.url, tokenUrl: bw.tokenUrl, accountId: bw.accountId, clientId: bw.clientId, clientSecret: bw.clientSecret, … }
 *   bw.failNext({ status: 429 });
 *   await postCallbacks(webhookUrl, [deliveredEvent(bw.sent[0])], { username: 'cb', password: 'cb-pass' });
 *   await bw.close();
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON for JSON requests, else undefined. */
  body: unknown;
  raw: Buffer;
  at: number;
}

export interface TokenGrant {
  authorization?: string;
  contentType?: string;
  form: Record<string, string>;
  /** The token issued, or undefined if the grant was refused. */
  token?: string;
}

/** A Bandwidth message object as the API returns it (and as callbacks embed it). */
export interface FakeMessage {
  id: string;
  owner: string;
  applicationId: string;
  time: string;
  segmentCount: number;
  direction: 'in' | 'out';
  to: string[];
  from: string;
  text: string;
  media?: string[];
  tag?: string;
  priority: 'default' | 'high';
  expiration?: string;
}

/** What the next matching request gets instead of a normal answer. */
export type Failure =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { delayMs: number };

export interface BandwidthFakeOptions {
  accountId?: string;
  clientId?: string;
  clientSecret?: string;
  /** Legacy API user accepted with HTTP Basic. */
  username?: string;
  password?: string;
  /** `expires_in` of issued tokens, in seconds (default 3600). */
  tokenTtlSeconds?: number;
}

export interface BandwidthFake {
  /** The Messaging API base, `http://127.0.0.1:PORT/api/v2`: the plugin's `baseUrl`. */
  url: string;
  /** `http://127.0.0.1:PORT/api/v1/oauth2/token`: the plugin's `tokenUrl`. */
  tokenUrl: string;
  accountId: string;
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
  /** Every message and media request, in arrival order (token requests are in `grants`). */
  requests: RecordedRequest[];
  /** Message-creation requests only. */
  messageRequests(): RecordedRequest[];
  grants: TokenGrant[];
  /** Messages answered with 202, as returned. */
  sent: FakeMessage[];
  /** Uploaded media by media id. */
  media: Map<string, { contentType: string; bytes: Buffer }>;
  /** The next `times` message/media requests fail this way (a bare number is a status with Bandwidth's body). */
  failNext(failure: Failure | number, times?: number): void;
  /** The next `times` token requests fail this way. */
  failNextToken(failure: Failure | number, times?: number): void;
  /** Every token issued so far stops working (401), as if revoked. */
  revokeTokens(): void;
  close(): Promise<void>;
}

/** Bandwidth's documented error bodies, by status. */
export const ERROR_BODIES: Readonly<Record<number, unknown>> = {
  400: { type: 'request-validation', description: 'Your request could not be accepted', fieldErrors: [] },
  401: { type: 'unauthorized', description: 'Authentication Failed' },
  403: { type: 'forbidden', description: 'Access Denied' },
  404: { timestamp: new Date(0).toISOString(), status: 404, error: 'Not Found', message: 'No message available', path: '/api/v2' },
  415: { type: 'unsupported-content-type', description: 'Content-Type must be application/json' },
  429: { type: 'max-message-queue-size-exceeded', description: 'The SMS queue for your account is full and cannot accept more messages right now.' },
  500: { type: 'internal-server-error', description: 'Something went wrong' },
};

const E164 = /^\+[1-9][0-9]{1,14}$/;

/** A Bandwidth-looking message id: epoch millis plus random base-36. */
export function bandwidthMessageId(): string {
  return `${Date.now()}${randomBytes(10).toString('hex').replace(/[^a-z0-9]/g, '').slice(0, 16)}`;
}

function segmentCount(text: string): number {
  if (text === '') return 1;
  // GSM-7 unless a character outside printable ASCII shows up; close enough for a fake.
  const ucs2 = /[^\n\r\x20-\x7e]/.test(text);
  const [single, part] = ucs2 ? [70, 67] : [160, 153];
  return text.length <= single ? 1 : Math.ceil(text.length / part);
}

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(body === undefined ? '' : JSON.stringify(body));
}

function basicCredentials(header: string | undefined): [string, string] | undefined {
  const m = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? undefined : [text.slice(0, i), text.slice(i + 1)];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startBandwidthFake(options: BandwidthFakeOptions = {}): Promise<BandwidthFake> {
  const accountId = options.accountId ?? '9900000';
  const clientId = options.clientId ?? 'fake-client-id';
  const clientSecret = options.clientSecret ?? 'fake-client-secret';
  const username = options.username ?? 'fake-api-user';
  const password = options.password ?? 'fake-api-password';
  const ttl = options.tokenTtlSeconds ?? 3600;
  const tokens = new Map<string, number>(); // token → expires at (ms)
  const failures: Failure[] = [];
  const tokenFailures: Failure[] = [];
  let sequence = 0;

  const fake: BandwidthFake = {
    url: '',
    tokenUrl: '',
    accountId,
    clientId,
    clientSecret,
    username,
    password,
    requests: [],
    messageRequests: () => fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages')),
    grants: [],
    sent: [],
    media: new Map(),
    failNext(failure, times = 1) {
      for (let i = 0; i < times; i++) failures.push(typeof failure === 'number' ? { status: failure } : failure);
    },
    failNextToken(failure, times = 1) {
      for (let i = 0; i < times; i++) tokenFailures.push(typeof failure === 'number' ? { status: failure } : failure);
    },
    revokeTokens() {
      tokens.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  /** Applies a scripted failure; true when the request was answered. */
  async function scripted(queue: Failure[], res: ServerResponse, oauth: boolean): Promise<boolean> {
    const failure = queue.shift();
    if (!failure) return false;
    if ('delayMs' in failure) {
      await sleep(failure.delayMs);
      return false;
    }
    const body = failure.body ?? (oauth ? { error: failure.status === 401 ? 'invalid_client' : 'server_error' } : ERROR_BODIES[failure.status] ?? ERROR_BODIES[500]);
    json(res, failure.status, body, failure.headers);
    return true;
  }

  function authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(header);
    if (bearer) {
      const expiresAt = tokens.get(bearer[1]);
      return expiresAt !== undefined && Date.now() < expiresAt;
    }
    const basic = basicCredentials(header);
    return basic !== undefined && basic[0] === username && basic[1] === password;
  }

  async function handleToken(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const form = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
    const grant: TokenGrant = { authorization: req.headers.authorization, contentType: req.headers['content-type'], form };
    fake.grants.push(grant);
    if (await scripted(tokenFailures, res, true)) return;
    const creds = basicCredentials(req.headers.authorization);
    if (!creds || creds[0] !== clientId || creds[1] !== clientSecret) {
      json(res, 401, { error: 'invalid_client', error_description: 'Bad client credentials' });
      return;
    }
    if (form.grant_type !== 'client_credentials') {
      json(res, 400, { error: 'unsupported_grant_type' });
      return;
    }
    const token = `bw-token-${++sequence}-${randomBytes(6).toString('hex')}`;
    tokens.set(token, Date.now() + ttl * 1000);
    grant.token = token;
    json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: ttl, scope: '' });
  }

  function handleCreateMessage(res: ServerResponse, body: unknown): void {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const fieldErrors: { fieldName: string; description: string }[] = [];
    const to = Array.isArray(b.to) ? b.to.filter((x): x is string => typeof x === 'string') : [];
    if (typeof b.applicationId !== 'string' || b.applicationId === '') fieldErrors.push({ fieldName: 'applicationId', description: 'must not be empty' });
    if (to.length === 0) fieldErrors.push({ fieldName: 'to', description: 'must not be empty' });
    if (to.some((n) => !E164.test(n))) fieldErrors.push({ fieldName: 'to', description: 'must be E.164 numbers' });
    if (typeof b.from !== 'string' || b.from === '') fieldErrors.push({ fieldName: 'from', description: 'must not be empty' });
    if (typeof b.text === 'string' && b.text.length > 2048) fieldErrors.push({ fieldName: 'text', description: 'size must be between 0 and 2048' });
    if (fieldErrors.length > 0) {
      json(res, 400, { type: 'request-validation', description: 'Your request could not be accepted', fieldErrors });
      return;
    }
    if (to.length > 10) {
      json(res, 400, { type: 'forbidden-too-many-recipients', description: 'Too many recipients' });
      return;
    }
    const text = typeof b.text === 'string' ? b.text : '';
    const message: FakeMessage = {
      id: bandwidthMessageId(),
      owner: b.from as string,
      applicationId: b.applicationId as string,
      time: new Date().toISOString(),
      segmentCount: segmentCount(text),
      direction: 'out',
      to,
      from: b.from as string,
      text,
      ...(Array.isArray(b.media) ? { media: b.media as string[] } : {}),
      ...(typeof b.tag === 'string' ? { tag: b.tag } : {}),
      priority: b.priority === 'high' ? 'high' : 'default',
      ...(typeof b.expiration === 'string' ? { expiration: b.expiration } : {}),
    };
    fake.sent.push(message);
    json(res, 202, message);
  }

  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readRaw(req);
      const path = req.url ?? '/';
      if (req.method === 'POST' && path === '/api/v1/oauth2/token') return handleToken(req, res, raw);

      const isJson = /json/i.test(req.headers['content-type'] ?? '');
      let body: unknown;
      if (isJson && raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          body = undefined;
        }
      }
      fake.requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body, raw, at: Date.now() });
      if (await scripted(failures, res, false)) return;
      if (!authorized(req)) return json(res, 401, ERROR_BODIES[401]);

      const messages = new RegExp(`^/api/v2/users/${accountId}/messages$`).exec(path);
      const media = new RegExp(`^/api/v2/users/${accountId}/media/([^/?]+)$`).exec(path);
      if (messages && req.method === 'POST') {
        if (!isJson) return json(res, 415, ERROR_BODIES[415]);
        if (body === undefined) return json(res, 400, ERROR_BODIES[400]);
        return handleCreateMessage(res, body);
      }
      if (media && req.method === 'PUT') {
        fake.media.set(decodeURIComponent(media[1]), { contentType: req.headers['content-type'] ?? 'application/octet-stream', bytes: raw });
        res.writeHead(204).end();
        return;
      }
      if (media && req.method === 'GET') {
        const item = fake.media.get(decodeURIComponent(media[1]));
        if (!item) return json(res, 404, ERROR_BODIES[404]);
        res.writeHead(200, { 'content-type': item.contentType }).end(item.bytes);
        return;
      }
      json(res, 404, ERROR_BODIES[404]);
    })().catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { type: 'fake-error', description: String(err) });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.url = `${origin}/api/v2`;
  fake.tokenUrl = `${origin}/api/v1/oauth2/token`;
  return fake;
}

// ---- Callback payloads (Bandwidth → gateway) ----

export interface CallbackEvent {
  type: string;
  time: string;
  description: string;
  to: string;
  errorCode?: number;
  message: Record<string, unknown>;
}

/** An inbound `message-received` event: `to` is the Bandwidth number, `from` the person. */
export function receivedEvent(input: {
  from: string; to: string; text?: string; media?: string[]; id?: string; applicationId?: string; participants?: string[];
}): CallbackEvent {
  const time = new Date().toISOString();
  return {
    type: 'message-received',
    time,
    description: 'Incoming message received',
    to: input.to,
    message: {
      id: input.id ?? bandwidthMessageId(),
      owner: input.to,
      applicationId: input.applicationId ?? 'fake-application-id',
      time,
      segmentCount: 1,
      direction: 'in',
      to: input.participants ?? [input.to],
      from: input.from,
      text: input.text ?? '',
      ...(input.media ? { media: input.media } : {}),
    },
  };
}

/** A status event about an outbound message (e.g. one from `fake.sent`); `text` is empty as Bandwidth sends it. */
export function statusEvent(type: 'message-sending' | 'message-delivered' | 'message-failed' | 'message-read', sent: Pick<FakeMessage, 'id' | 'from' | 'to'> & Partial<FakeMessage>, extra: { errorCode?: number; description?: string; recipient?: string } = {}): CallbackEvent {
  const time = new Date().toISOString();
  const recipient = extra.recipient ?? sent.to[0];
  return {
    type,
    time,
    description: extra.description ?? (type === 'message-failed' ? 'rejected-unallocated-to-number' : 'ok'),
    to: recipient,
    ...(type === 'message-failed' ? { errorCode: extra.errorCode ?? 4405 } : {}),
    message: {
      id: sent.id,
      owner: sent.from,
      applicationId: sent.applicationId ?? 'fake-application-id',
      time: sent.time ?? time,
      segmentCount: sent.segmentCount ?? 1,
      direction: 'out',
      to: sent.to,
      from: sent.from,
      text: '',
      ...(sent.media ? { media: sent.media } : {}),
      ...(sent.tag !== undefined ? { tag: sent.tag } : {}),
      priority: sent.priority ?? 'default',
    },
  };
}

export const deliveredEvent = (sent: Parameters<typeof statusEvent>[1]) => statusEvent('message-delivered', sent);
export const failedEvent = (sent: Parameters<typeof statusEvent>[1], errorCode: number, description?: string) =>
  statusEvent('message-failed', sent, { errorCode, description });

/** POSTs a callback array the way Bandwidth does (JSON, `User-Agent: BandwidthAPI/v2`, optional Basic auth). */
export async function postCallbacks(
  url: string,
  events: unknown,
  auth?: { username: string; password: string },
): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'BandwidthAPI/v2' };
  if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  const res = await fetch(url, { method: 'POST', headers, body: typeof events === 'string' ? events : JSON.stringify(events) });
  return { status: res.status, text: await res.text() };
}
