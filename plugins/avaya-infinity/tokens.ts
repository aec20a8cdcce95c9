import { createTokenCache, type HttpClient, type PluginDeps, type TokenCache } from '../../src/plugin-api.js';

export interface AvayaTokens {
  /** A token from the shared cache: one request however many sends wait, renewed before it expires. */
  get(signal?: AbortSignal): Promise<string>;
  /**
   * A token other than `rejected`, which the API just answered 401 to: the cache's current one if
   * another send already replaced it, else a freshly fetched one.
   */
  renew(rejected: string, signal?: AbortSignal): Promise<string>;
}

/** The `exp` claim of a JWT, in epoch seconds; undefined for a token that is not a JWT or has none. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (token.split('.').length !== 3 || !payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Avaya's sample refreshes by the JWT's `exp`, the shared cache by `expires_in`. Telling the cache
 * the earlier of the two as `expires_in` keeps its coalescing, early refresh and fallback as they
 * are. (At least 1 s: the cache reads 0 as "absent" and would assume five minutes.)
 */
function honourJwtExpiry(http: HttpClient, now: () => number): HttpClient {
  const clamp = async (res: Awaited<ReturnType<HttpClient['request']>>) => {
    if (res.status < 200 || res.status >= 300) return res;
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(res.text) as Record<string, unknown>;
    } catch {
      return res;
    }
    const exp = typeof body?.access_token === 'string' ? jwtExpiry(body.access_token) : undefined;
    if (exp === undefined) return res;
    const untilExp = Math.max(1, Math.floor(exp - now() / 1000));
    const given = Number(body.expires_in);
    const expiresIn = Number.isFinite(given) && given > 0 ? Math.min(given, untilExp) : untilExp;
    return { ...res, text: JSON.stringify({ ...body, expires_in: expiresIn }) };
  };
  return {
    request: async (url, init) => clamp(await http.request(url, init)),
    requestOk: async (url, init) => clamp(await http.requestOk(url, init)),
  };
}

/** The instance's client-credentials tokens, posted as form fields the way Avaya's sample does. */
export function createAvayaTokens(tokenUrl: string, credentials: { clientId: string; clientSecret: string }, deps: PluginDeps, timeoutMs: number): AvayaTokens {
  // Timed per token request actually made, not per cache hit; bounded like the rest of a delivery.
  const timed: HttpClient = {
    request: async (url, init) => {
      const res = await deps.metrics.time('oauth_token', () => deps.http.request(url, { ...init, timeoutMs }));
      if (res.status >= 300) deps.metrics.failed('oauth_token');
      return res;
    },
    requestOk: (url, init) => deps.metrics.time('oauth_token', () => deps.http.requestOk(url, { ...init, timeoutMs })),
  };
  const cache: TokenCache = createTokenCache({
    tokenUrl,
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    clientAuth: 'body',
    http: honourJwtExpiry(timed, deps.clock.now),
    clock: deps.clock,
  });
  return {
    get: (signal) => cache.getToken(signal),
    async renew(rejected, signal) {
      // Resolves from the cache without I/O when it still holds `rejected`, so no refresh lands in between.
      const current = await cache.getToken(signal);
      if (current !== rejected) return current;
      cache.invalidate();
      return cache.getToken(signal);
    },
  };
}
