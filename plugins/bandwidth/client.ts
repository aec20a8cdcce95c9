import type { ConfigurationParameters, MediaApi, MessagesApi } from 'bandwidth-sdk';
import { ProviderError, classifyStatus, createTokenCache, lazyImport, retryAfterMs, type HttpClient, type PluginDeps, type TokenCache } from '../../src/plugin-api.js';
import type { BandwidthOptions } from './options.js';

// The SDK (and axios under it) takes the better part of a second to import: it loads with the first send.
const bandwidthSdk = lazyImport('bandwidth-sdk', () => import('bandwidth-sdk'));

/** The SDK's API objects of one instance. */
export interface BandwidthApis {
  messages: MessagesApi;
  media: MediaApi;
}

/** The SDK clients of one provider instance, and how their failures become ProviderErrors. */
export interface BandwidthClient {
  /** Built on first use; rejects with a ProviderError when the SDK cannot be loaded. */
  apis(): Promise<BandwidthApis>;
  /** Present in OAuth mode; send() fetches through it first so the token request honours its signal. */
  tokens?: TokenCache;
  toProviderError(err: unknown, operation: string, timedOut: boolean): ProviderError;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface AxiosLikeError {
  code?: string;
  response?: { status: number; data?: unknown; headers?: Record<string, unknown> };
}

/** `{type, description, fieldErrors}` (Bandwidth) or `{error, message}` (its Spring-style 404) → one line. */
function describeBody(data: unknown): { type?: string; text?: string } {
  if (!isObject(data)) return typeof data === 'string' && data.trim() !== '' ? { text: data.trim().slice(0, 200) } : {};
  const type = typeof data.type === 'string' ? data.type : typeof data.error === 'string' ? data.error : undefined;
  const parts: string[] = [];
  if (typeof data.description === 'string') parts.push(data.description);
  else if (typeof data.message === 'string') parts.push(data.message);
  if (Array.isArray(data.fieldErrors)) {
    for (const f of data.fieldErrors) {
      if (isObject(f)) parts.push(`${String(f.fieldName ?? '?')}: ${String(f.description ?? '')}`);
    }
  }
  return { type, text: parts.length > 0 ? parts.join('; ') : undefined };
}

/**
 * Builds the bandwidth-sdk clients for one instance: OAuth bearer tokens from the shared token
 * cache (so `tokenUrl` is configurable, unlike the SDK's built-in token request) or HTTP Basic
 * for legacy API users; `baseUrl` replaces the SDK's hard-coded production server.
 */
export function createBandwidthClient(options: BandwidthOptions, deps: PluginDeps): BandwidthClient {
  let tokens: TokenCache | undefined;
  let configuration: ConfigurationParameters;
  if (options.clientId !== undefined && options.clientSecret !== undefined) {
    // Timed per token request actually made, not per cache hit.
    const http: HttpClient = {
      request: (url, init) => deps.metrics.time('oauth_token', () => deps.http.request(url, init)),
      requestOk: (url, init) => deps.metrics.time('oauth_token', () => deps.http.requestOk(url, init)),
    };
    const cache = createTokenCache({
      tokenUrl: options.tokenUrl,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      http,
      clock: deps.clock,
    });
    tokens = cache;
    configuration = { accessToken: () => cache.getToken(), basePath: options.baseUrl };
  } else {
    configuration = { username: options.username, password: options.password, basePath: options.baseUrl };
  }

  let apis: Promise<BandwidthApis> | undefined;
  return {
    apis: () => (apis ??= bandwidthSdk().then((sdk) => {
      const config = new sdk.Configuration(configuration);
      return { messages: new sdk.MessagesApi(config), media: new sdk.MediaApi(config) };
    }, (err: unknown) => {
      apis = undefined;
      throw err;
    })),
    tokens,
    toProviderError(err, operation, timedOut) {
      if (err instanceof ProviderError) return err;
      const e = (isObject(err) ? err : {}) as AxiosLikeError;
      const status = e.response?.status;
      if (status === undefined) {
        const reason = timedOut || e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT' ? 'timeout' : 'server';
        const what = reason === 'timeout' ? 'timed out' : e.code === 'ERR_CANCELED' ? 'was aborted' : `failed (${e.code ?? 'no answer'})`;
        // No `cause`: an axios error carries the request config, credentials and bearer token included.
        return new ProviderError(`Bandwidth ${operation} ${what}`, { reason: e.code === 'ERR_CANCELED' ? 'timeout' : reason });
      }
      // A rejected bearer token may have been revoked early: fetch a fresh one for the next attempt.
      if (status === 401) tokens?.invalidate();
      const { type, text } = describeBody(e.response?.data);
      return new ProviderError(`Bandwidth ${operation} answered ${status}${type ? ` ${type}` : ''}${text ? `: ${text}` : ''}`, {
        reason: classifyStatus(status) ?? 'server',
        status,
        providerCode: type,
        retryAfterMs: status === 429 ? retryAfterMs(e.response?.headers?.['retry-after'], deps.clock.now()) : undefined,
      });
    },
  };
}
