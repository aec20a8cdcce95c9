import { ProviderError, classifyStatus } from '../errors.js';
import type { Clock } from '../clock.js';
import type { HttpClient } from './http-client.js';

export interface TokenCacheOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  http: HttpClient;
  clock: Clock;
  /** Fetch a new token this long before the current one expires (default 60 s, at most half its lifetime). */
  refreshSkewMs?: number;
  scope?: string;
  /**
   * How the client proves itself: HTTP Basic `clientId:clientSecret` (default; what Bandwidth's
   * token endpoint and RFC 6749 §2.3.1 expect) or `client_id`/`client_secret` form fields.
   */
  clientAuth?: 'basic' | 'body';
}

export interface TokenCache {
  /** A valid access token, from the cache or from one (shared) token request. */
  getToken(signal?: AbortSignal): Promise<string>;
  /** Forgets the cached token, e.g. after the API answered 401 to it. */
  invalidate(): void;
}

interface CachedToken {
  token: string;
  refreshAt: number;
  expiresAt: number;
}

// RFC 6749 makes expires_in optional; without it, assume a short life rather than a long one.
const DEFAULT_LIFETIME_S = 300;
const AUTH_ERRORS = new Set(['invalid_client', 'unauthorized_client']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Rejects as soon as `signal` aborts, without cancelling the shared request behind `promise`. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new ProviderError('token request aborted', { reason: 'timeout', cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ProviderError('token request aborted', { reason: 'timeout', cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * An OAuth 2.0 client-credentials token cache: one token request at a time however many callers
 * wait, the token reused until shortly before it expires, failures typed as ProviderError
 * (401/403 or `invalid_client` → `auth`). Provider-neutral: Bandwidth and Avaya both use it.
 *
 * @example
 *   const tokens = createTokenCache({ tokenUrl: 'https://api.bandwidth.com/api/v1/oauth2/token',
 *     clientId, clientSecret, http: deps.http, clock: deps.clock });
 *   const headers = { authorization: `Bearer ${await tokens.getToken(signal)}` };
 */
export function createTokenCache(options: TokenCacheOptions): TokenCache {
  const skewMs = options.refreshSkewMs ?? 60_000;
  const host = new URL(options.tokenUrl).host;
  let current: CachedToken | undefined;
  let inflight: Promise<CachedToken> | undefined;

  async function requestToken(): Promise<CachedToken> {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (options.scope !== undefined) form.set('scope', options.scope);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (options.clientAuth === 'body') {
      form.set('client_id', options.clientId);
      form.set('client_secret', options.clientSecret);
    } else {
      // Unencoded id:secret, byte for byte what bandwidth-sdk's own token request sends.
      headers.authorization = `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`;
    }

    const startedAt = options.clock.now();
    const res = await options.http.request(options.tokenUrl, { method: 'POST', headers, body: form.toString() });
    const body = parseJson(res.text);
    const reason = classifyStatus(res.status);
    if (reason) {
      const error = isObject(body) && typeof body.error === 'string' ? body.error : undefined;
      throw new ProviderError(`token endpoint ${host} answered ${res.status}${error ? ` (${error})` : ''}`, {
        reason: error && AUTH_ERRORS.has(error) ? 'auth' : reason,
        status: res.status,
        providerCode: error,
      });
    }
    if (!isObject(body) || typeof body.access_token !== 'string' || body.access_token === '') {
      throw new ProviderError(`token endpoint ${host} answered ${res.status} without an access_token`, { reason: 'server', status: res.status });
    }
    const expiresIn = Number(body.expires_in ?? DEFAULT_LIFETIME_S);
    const lifetimeMs = (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : DEFAULT_LIFETIME_S) * 1000;
    // Measured from when the request started, so a slow answer errs towards refreshing early.
    return {
      token: body.access_token,
      refreshAt: startedAt + Math.max(lifetimeMs - skewMs, lifetimeMs / 2),
      expiresAt: startedAt + lifetimeMs,
    };
  }

  function refresh(): Promise<CachedToken> {
    inflight ??= requestToken()
      .then((fresh) => {
        current = fresh;
        return fresh;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  }

  return {
    async getToken(signal) {
      const cached = current;
      if (cached && options.clock.now() < cached.refreshAt) return cached.token;
      try {
        return (await untilAborted(refresh(), signal)).token;
      } catch (err) {
        // A refresh that fails for a passing reason must not fail sends while the old token still works.
        const stillValid = cached && current === cached && options.clock.now() < cached.expiresAt;
        if (stillValid && !signal?.aborted && err instanceof ProviderError && err.retryable) return cached.token;
        throw err;
      }
    },
    invalidate() {
      current = undefined;
    },
  };
}
