import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError, createHttpClient } from '../../src/plugin-api.js';
import { createTokenCache, type TokenCacheOptions } from '../../src/plugin-kit/oauth-token-cache.js';

interface Grant {
  authorization?: string;
  contentType?: string;
  form: URLSearchParams;
}

interface TokenServer {
  url: string;
  grants: Grant[];
  /** What the next answers look like; the default issues `tok-<n>` valid for `expiresIn` seconds. */
  answer: (n: number) => { status: number; body: unknown; delayMs?: number };
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

async function startTokenServer(expiresIn = 3600): Promise<TokenServer> {
  const state: TokenServer = {
    url: '',
    grants: [],
    answer: (n) => ({ status: 200, body: { access_token: `tok-${n}`, token_type: 'Bearer', expires_in: expiresIn } }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    void readBody(req).then(async (text) => {
      state.grants.push({ authorization: req.headers.authorization, contentType: req.headers['content-type'], form: new URLSearchParams(text) });
      const { status, body, delayMs } = state.answer(state.grants.length);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/token`;
  return state;
}

function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('createTokenCache', () => {
  let server: TokenServer;
  let clock: ReturnType<typeof fakeClock>;
  const http = createHttpClient({ timeoutMs: 1000 });
  const cache = (extra: Partial<TokenCacheOptions> = {}) =>
    createTokenCache({ tokenUrl: server.url, clientId: 'client-1', clientSecret: 's3cret', http, clock, ...extra });

  beforeEach(async () => {
    server = await startTokenServer(3600);
    clock = fakeClock();
  });
  afterEach(async () => {
    await server.close();
  });

  it('posts a client_credentials grant with HTTP Basic client credentials', async () => {
    const token = await cache().getToken();
    expect(token).toBe('tok-1');
    expect(server.grants).toHaveLength(1);
    const [grant] = server.grants;
    expect(grant.authorization).toBe(`Basic ${Buffer.from('client-1:s3cret').toString('base64')}`);
    expect(grant.contentType).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(grant.form)).toEqual({ grant_type: 'client_credentials' });
  });

  it('sends the scope, and the credentials in the body when asked to', async () => {
    await cache({ scope: 'messaging', clientAuth: 'body' }).getToken();
    const [grant] = server.grants;
    expect(grant.authorization).toBeUndefined();
    expect(Object.fromEntries(grant.form)).toEqual({
      grant_type: 'client_credentials', scope: 'messaging', client_id: 'client-1', client_secret: 's3cret',
    });
  });

  it('reuses the token until expires_in minus the skew, then fetches a new one before expiry', async () => {
    const tokens = cache({ refreshSkewMs: 60_000 });
    expect(await tokens.getToken()).toBe('tok-1');
    clock.advance(3600_000 - 60_000 - 1);
    expect(await tokens.getToken()).toBe('tok-1');
    expect(server.grants).toHaveLength(1);
    clock.advance(1); // 60 s before expiry: refresh
    expect(await tokens.getToken()).toBe('tok-2');
    expect(server.grants).toHaveLength(2);
  });

  it('refreshes at half-life when the token lives shorter than twice the skew', async () => {
    server.answer = (n) => ({ status: 200, body: { access_token: `short-${n}`, expires_in: 10 } });
    const tokens = cache({ refreshSkewMs: 60_000 });
    expect(await tokens.getToken()).toBe('short-1');
    clock.advance(4_999);
    expect(await tokens.getToken()).toBe('short-1');
    clock.advance(1);
    expect(await tokens.getToken()).toBe('short-2');
  });

  it('coalesces concurrent callers into one token request', async () => {
    server.answer = (n) => ({ status: 200, body: { access_token: `tok-${n}`, expires_in: 3600 }, delayMs: 50 });
    const tokens = cache();
    const all = await Promise.all(Array.from({ length: 8 }, () => tokens.getToken()));
    expect(new Set(all)).toEqual(new Set(['tok-1']));
    expect(server.grants).toHaveLength(1);
  });

  it('invalidate() forces the next call to fetch a new token', async () => {
    const tokens = cache();
    await tokens.getToken();
    tokens.invalidate();
    expect(await tokens.getToken()).toBe('tok-2');
  });

  it('maps 401 and invalid_client to auth, 500 to a retryable server error', async () => {
    server.answer = () => ({ status: 401, body: { error: 'invalid_client' } });
    const err401 = await cache().getToken().catch((e: unknown) => e);
    expect(err401).toBeInstanceOf(ProviderError);
    expect(err401).toMatchObject({ reason: 'auth', status: 401, retryable: false, providerCode: 'invalid_client' });
    expect((err401 as Error).message).not.toContain('s3cret');

    server.answer = () => ({ status: 400, body: { error: 'invalid_client', error_description: 'bad' } });
    await expect(cache().getToken()).rejects.toMatchObject({ reason: 'auth', status: 400 });

    server.answer = () => ({ status: 400, body: { error: 'invalid_scope' } });
    await expect(cache().getToken()).rejects.toMatchObject({ reason: 'client', retryable: false });

    server.answer = () => ({ status: 500, body: {} });
    await expect(cache().getToken()).rejects.toMatchObject({ reason: 'server', retryable: true });

    server.answer = () => ({ status: 200, body: { token_type: 'Bearer' } });
    await expect(cache().getToken()).rejects.toMatchObject({ reason: 'server' });
  });

  it('does not cache failures: the next call tries again', async () => {
    server.answer = (n) => (n === 1 ? { status: 503, body: {} } : { status: 200, body: { access_token: 'ok', expires_in: 60 } });
    const tokens = cache();
    await expect(tokens.getToken()).rejects.toMatchObject({ reason: 'server' });
    expect(await tokens.getToken()).toBe('ok');
  });

  it('keeps serving a still-valid token when an early refresh fails for a retryable reason', async () => {
    const tokens = cache({ refreshSkewMs: 60_000 });
    await tokens.getToken();
    server.answer = () => ({ status: 503, body: {} });
    clock.advance(3600_000 - 30_000); // inside the refresh window, not yet expired
    expect(await tokens.getToken()).toBe('tok-1');
    clock.advance(30_000); // expired now
    await expect(tokens.getToken()).rejects.toMatchObject({ reason: 'server' });
  });

  it('does not hide an auth failure behind the old token', async () => {
    const tokens = cache({ refreshSkewMs: 60_000 });
    await tokens.getToken();
    server.answer = () => ({ status: 401, body: { error: 'invalid_client' } });
    clock.advance(3600_000 - 30_000);
    await expect(tokens.getToken()).rejects.toMatchObject({ reason: 'auth' });
  });

  it('a caller whose signal aborts stops waiting without failing the shared request', async () => {
    server.answer = (n) => ({ status: 200, body: { access_token: `tok-${n}`, expires_in: 3600 }, delayMs: 100 });
    const tokens = cache();
    const ac = new AbortController();
    const impatient = tokens.getToken(ac.signal);
    const patient = tokens.getToken();
    ac.abort();
    await expect(impatient).rejects.toMatchObject({ reason: 'timeout' });
    expect(await patient).toBe('tok-1');
    expect(server.grants).toHaveLength(1);
  });
});
