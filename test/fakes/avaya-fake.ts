/**
 * A local fake of Avaya Infinity's Custom Messaging API for tests and benchmarks: the OAuth token
 * endpoint (client credentials, JWT-shaped tokens with `exp`), Send Message on both known paths,
 * and helpers that sign events the way Avaya does. Every request is recorded so tests can assert
 * what the plugin actually sent.
 *
 * @example
 *   const avaya = await startAvayaFake();
 *   // plugin options: { baseUrl: avaya.url, accountId: avaya.accountId, connectorId: avaya.connectorId,
 *   //                   clientId: avaya.clientId, clientSecret: avaya.clientSecret, … }
 *   avaya.failNext({ status: 429, headers: { 'retry-after': '7' } });
 *   const { rawBody, signature } = signEvent('whsec', messagesEvent({ from: BUSINESS, to: CUSTOMER, text: 'Hi' }));
 *   await avaya.close();
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const TOKEN_PATH = '/auth/realms/avaya/protocol/openid-connect/token';
export const SPEC_SEND_PATH = '/api/digital/messaging/v1/messages';
export const sampleSendPath = (accountId: string) => `/api/digital/messaging/v1/accounts/${accountId}/messages`;

export interface RecordedSend {
  /** When it arrived (wall clock, ms). */
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  /** The bearer token presented, if any. */
  token?: string;
  /** Parsed JSON, or undefined when the body was not JSON. */
  body: unknown;
  raw: string;
}

export interface TokenGrant {
  contentType?: string;
  /** `body` (client_id/client_secret form fields) or `basic` (HTTP Basic), however the client proved itself. */
  clientAuth?: 'body' | 'basic';
  form: Record<string, string>;
  /** The token issued, or undefined when the grant was refused. */
  token?: string;
}

/** A scripted answer for the next matching request, or a delay before the normal one. */
export type Failure = { status: number; body?: unknown; headers?: Record<string, string> } | { delayMs: number };

export interface AvayaFakeOptions {
  accountId?: string;
  connectorId?: string;
  clientId?: string;
  clientSecret?: string;
  /** `expires_in` of issued tokens, in seconds (default 900, like Avaya). */
  expiresIn?: number;
  /** Lifetime written into the JWT's `exp`, in seconds (default `expiresIn`). The fake refuses a token past its `exp`. */
  jwtLifetime?: number;
  /** The fake's clock for `iat`/`exp` and expiry checks (default `Date.now`); share a test clock to expire tokens. */
  now?: () => number;
}

export interface AvayaFake {
  /** `http://127.0.0.1:PORT`: the plugin's `baseUrl`. */
  url: string;
  accountId: string;
  connectorId: string;
  clientId: string;
  clientSecret: string;
  grants: TokenGrant[];
  /** Send Message requests on either path, in arrival order. */
  sends: RecordedSend[];
  /** Accepted messages as answered (the request echoed plus messageId, accountId, conversationSessionId). */
  accepted: Record<string, unknown>[];
  /**
   * Whether `sends` and `accepted` keep each request (default true). A benchmark turns it off for
   * its throughput rounds: the fake shares the machine with the gateway it measures, and keeping
   * every request's headers and bodies grows the fake's heap and its garbage collections.
   */
  record: boolean;
  /** Send Message requests and accepted messages so far, kept or not. */
  counts: { sends: number; accepted: number };
  /** The next `times` Send Message requests get this answer (a bare number is that status with a problem body). */
  failNext(failure: Failure | number, times?: number): void;
  /** Forgets the scripted Send Message failures not used yet. */
  clearFailures(): void;
  /** The next `times` token requests get this answer. */
  failNextToken(failure: Failure | number, times?: number): void;
  /** Every token issued so far stops working (401), as if revoked before its `exp`. */
  revokeTokens(): void;
  close(): Promise<void>;
}

const MAX_TEXT: Record<string, number> = { text: 1024, messaging: 4096 };

async function readRaw(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type, ...headers }).end(JSON.stringify(body));
}

/** RFC 7807, as the messaging API answers errors. */
function problem(res: ServerResponse, status: number, title: string, detail: string, violations?: { field: string; message: string }[], headers: Record<string, string> = {}): void {
  json(res, status, { type: 'about:blank', title, status, detail, instance: randomUUID(), ...(violations ? { violations } : {}) }, headers, 'application/problem+json');
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function startAvayaFake(options: AvayaFakeOptions = {}): Promise<AvayaFake> {
  const accountId = options.accountId ?? 'ACC0001';
  const connectorId = options.connectorId ?? '591c2529-c3a3-4062-a213-b239c18f543b';
  const clientId = options.clientId ?? 'fake-avaya-client';
  const clientSecret = options.clientSecret ?? 'fake-avaya-secret';
  const expiresIn = options.expiresIn ?? 900;
  const jwtLifetime = options.jwtLifetime ?? expiresIn;
  const now = options.now ?? Date.now;
  const signingKey = randomBytes(32);
  const tokens = new Map<string, number>(); // token → exp (ms)
  const conversations = new Map<string, string>(); // from|destination → conversationSessionId
  const failures: Failure[] = [];
  const tokenFailures: Failure[] = [];
  const queue = (into: Failure[], failure: Failure | number, times: number) => {
    for (let i = 0; i < times; i++) into.push(typeof failure === 'number' ? { status: failure } : failure);
  };

  const fake: AvayaFake = {
    url: '',
    accountId,
    connectorId,
    clientId,
    clientSecret,
    grants: [],
    sends: [],
    accepted: [],
    record: true,
    counts: { sends: 0, accepted: 0 },
    failNext: (failure, times = 1) => queue(failures, failure, times),
    clearFailures: () => void failures.splice(0),
    failNextToken: (failure, times = 1) => queue(tokenFailures, failure, times),
    revokeTokens: () => tokens.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  /** Applies a scripted failure; true when it answered the request. */
  async function scripted(from: Failure[], res: ServerResponse, oauth: boolean): Promise<boolean> {
    const failure = from.shift();
    if (!failure) return false;
    if ('delayMs' in failure) {
      await sleep(failure.delayMs);
      return false;
    }
    if (failure.body !== undefined) json(res, failure.status, failure.body, failure.headers);
    else if (oauth) json(res, failure.status, { error: failure.status === 401 ? 'invalid_client' : 'server_error', error_description: 'scripted' }, failure.headers);
    else problem(res, failure.status, failure.status === 429 ? 'Too Many Requests' : failure.status >= 500 ? 'Internal Server Error' : 'Scripted', 'scripted failure', undefined, failure.headers);
    return true;
  }

  function issueToken(): string {
    const iat = Math.floor(now() / 1000);
    const exp = iat + jwtLifetime;
    const head = b64url({ alg: 'HS256', typ: 'JWT' });
    const payload = b64url({ exp, iat, jti: randomUUID(), iss: `${fake.url}/auth/realms/avaya`, azp: clientId, typ: 'Bearer', accountId, connectorId });
    const token = `${head}.${payload}.${createHmac('sha256', signingKey).update(`${head}.${payload}`).digest('base64url')}`;
    tokens.set(token, exp * 1000);
    return token;
  }

  async function handleToken(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const form = Object.fromEntries(new URLSearchParams(raw));
    const grant: TokenGrant = { contentType: req.headers['content-type'], form };
    fake.grants.push(grant);
    if (await scripted(tokenFailures, res, true)) return;
    // Keycloak accepts the client's credentials as form fields or as HTTP Basic.
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const [id, secret] = basic ? Buffer.from(basic[1], 'base64').toString('utf8').split(':') : [form.client_id, form.client_secret];
    grant.clientAuth = basic ? 'basic' : form.client_id !== undefined ? 'body' : undefined;
    if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) return json(res, 400, { error: 'invalid_request', error_description: 'form body expected' });
    if (form.grant_type !== 'client_credentials') return json(res, 400, { error: 'unsupported_grant_type', error_description: 'Unsupported grant_type' });
    if (id !== clientId || secret !== clientSecret) return json(res, 401, { error: 'invalid_client', error_description: 'Invalid client or Invalid client credentials' });
    grant.token = issueToken();
    json(res, 200, { access_token: grant.token, expires_in: expiresIn, refresh_expires_in: 0, token_type: 'Bearer', 'not-before-policy': 0, scope: form.scope ?? 'profile email' });
  }

  function validate(body: unknown): { field: string; message: string }[] {
    if (!isObject(body)) return [{ field: '', message: 'must be a JSON object' }];
    const v: { field: string; message: string }[] = [];
    const headers = isObject(body.headers) ? body.headers : {};
    const text = isObject(body.body) ? body.body.text : undefined;
    if (body.connectorId !== connectorId) v.push({ field: 'connectorId', message: 'unknown connector' });
    if (body.channel !== 'text' && body.channel !== 'messaging') v.push({ field: 'channel', message: 'must be one of [text, messaging]' });
    if (typeof headers.from !== 'string' || headers.from === '') v.push({ field: 'headers.from', message: 'must not be blank' });
    if (!Array.isArray(headers.to) || headers.to.length === 0 || headers.to.some((t) => typeof t !== 'string')) v.push({ field: 'headers.to', message: 'must not be empty' });
    if (typeof text !== 'string' || text === '') v.push({ field: 'body.text', message: 'must not be blank' });
    else if (Array.from(text).length > (MAX_TEXT[String(body.channel)] ?? 1024)) v.push({ field: 'body.text', message: `size must be at most ${MAX_TEXT[String(body.channel)] ?? 1024}` });
    if (isObject(body.contextParameters) && Object.keys(body.contextParameters).length > 10) v.push({ field: 'contextParameters', message: 'at most 10 entries' });
    return v;
  }

  async function handleSend(req: IncomingMessage, res: ServerResponse, path: string, raw: string): Promise<void> {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    fake.counts.sends += 1;
    if (fake.record) fake.sends.push({ at: Date.now(), path, headers: req.headers, token: bearer, body, raw });
    if (await scripted(failures, res, false)) return;
    const exp = bearer === undefined ? undefined : tokens.get(bearer);
    if (exp === undefined || now() >= exp) return problem(res, 401, 'Unauthorized', 'invalid or expired access token');
    if (!/^application\/json/.test(req.headers['content-type'] ?? '')) return problem(res, 415, 'Unsupported Media Type', 'application/json expected');
    const violations = validate(body);
    if (violations.length > 0) return problem(res, 400, 'Bad Request', 'the message is not valid', violations);
    const message = body as Record<string, unknown> & { headers: { from: string; to: string[]; destination?: string } };
    const key = `${message.headers.from}|${message.headers.destination ?? message.headers.to[0]}`;
    if (!conversations.has(key)) conversations.set(key, `conv-${randomBytes(8).toString('hex')}`);
    const answer = { ...message, messageId: `msg-${randomBytes(8).toString('hex')}`, accountId, conversationSessionId: conversations.get(key) };
    fake.counts.accepted += 1;
    if (fake.record) fake.accepted.push(answer);
    json(res, 200, answer);
  }

  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readRaw(req);
      const path = req.url ?? '/';
      if (req.method === 'POST' && path === TOKEN_PATH) return handleToken(req, res, raw);
      if (req.method === 'POST' && (path === SPEC_SEND_PATH || path === sampleSendPath(accountId))) return handleSend(req, res, path, raw);
      problem(res, 404, 'Not Found', `no route for ${req.method} ${path}`);
    })().catch((err: unknown) => {
      if (!res.headersSent) problem(res, 500, 'Internal Server Error', String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

// ---- Events (Avaya → gateway) ----

/**
 * A `messages` event as Avaya posts it to the connector's webhook. For an agent's or a bot's
 * reply `from` is the business number and `to` the customer; a customer echo has them the other way.
 */
export function messagesEvent(input: {
  from: string | number; to: string | number; text?: string; senderType?: string; eventId?: string; conversationSessionId?: string;
  accountId?: string; connectorId?: string; channel?: string;
}): Record<string, unknown> {
  const messageId = `msg-${randomBytes(6).toString('hex')}`;
  return {
    eventType: 'messages',
    eventId: input.eventId ?? `evt-${randomUUID()}`,
    eventTimestamp: new Date().toISOString(),
    messageId,
    accountId: input.accountId ?? 'ACC0001',
    conversationSessionId: input.conversationSessionId ?? 'conv-0001',
    connectorId: input.connectorId ?? '591c2529-c3a3-4062-a213-b239c18f543b',
    channel: input.channel ?? 'text',
    headers: { from: input.from, to: [input.to] },
    body: input.text === undefined ? {} : { text: input.text },
    sender: { type: input.senderType ?? 'agent' },
  };
}

/** `health_check`, which Avaya sends to test the webhook. */
export const healthCheckEvent = (): Record<string, unknown> => ({ eventType: 'health_check', eventId: `evt-${randomUUID()}`, eventTimestamp: new Date().toISOString() });

/**
 * Serializes an event and signs it like Avaya: `sha256=` + base64 HMAC-SHA256 of the body with
 * the webhook secret. `indent` sends pretty-printed bytes (still signed over the bytes sent).
 */
export function signEvent(secret: string, event: unknown, options: { indent?: number } = {}): { rawBody: string; signature: string } {
  const rawBody = typeof event === 'string' ? event : JSON.stringify(event, null, options.indent);
  return { rawBody, signature: `sha256=${createHmac('sha256', secret).update(rawBody, 'utf8').digest('base64')}` };
}

/** POSTs an event the way Avaya does (JSON, optional signature header). */
export async function postEvent(url: string, rawBody: string, signature?: string): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signature !== undefined) headers['x-avaya-event-signature'] = signature;
  const res = await fetch(url, { method: 'POST', headers, body: rawBody });
  return { status: res.status, text: await res.text() };
}

/** A `providers:` entry (two-space indented, named `avaya`) for an avaya-infinity instance pointed at this fake. */
export function avayaProviderYaml(fake: AvayaFake, webhookSecret: string, extra = ''): string {
  return `  avaya:
    plugin: avaya-infinity
    baseUrl: "${fake.url}"
    accountId: "${fake.accountId}"
    connectorId: "${fake.connectorId}"
    clientId: "${fake.clientId}"
    clientSecret: "${fake.clientSecret}"
    webhookSecret: "${webhookSecret}"
${extra}`;
}

