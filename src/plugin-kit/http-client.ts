import type { Dispatcher } from 'undici';
import { ProviderError, classifyStatus } from '../errors.js';
import { timedOut, withDeadline } from './deadline.js';
import { lazyImport } from './lazy-import.js';

// Every provider instance gets a client, the mock too: undici loads with the first request made.
const undici = lazyImport('undici', () => import('undici'));

export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
  /** Overrides the client's default timeout for this call. */
  timeoutMs?: number;
  /**
   * `manual` (the default) answers a 3xx as it is: a provider API that redirects would otherwise
   * carry the credentials in the body to wherever it points. `follow` only where that is wanted.
   */
  redirect?: 'manual' | 'follow';
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

// Error messages name the host; a URL that does not parse must not turn the error into a TypeError.
const hostOf = (url: string): string => (URL.canParse(url) ? new URL(url).host : 'an invalid URL');

export interface HttpClient {
  /** Resolves for every HTTP answer (2xx or not); rejects with a `timeout`/`server` ProviderError when none came. */
  request(url: string, init?: HttpRequest): Promise<HttpResponse>;
  /** Like `request`, but a non-2xx answer rejects with a classified ProviderError. */
  requestOk(url: string, init?: HttpRequest): Promise<HttpResponse>;
}

/** undici's header record (a repeated header is an array) as the `Headers` plugins read. */
function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.append(name, value);
  }
  return headers;
}

/**
 * A client where every call has a timeout and failures are typed. It speaks through undici's
 * `request` over keep-alive connections kept per origin: the global `fetch` (undici too, behind
 * WHATWG streams and Request/Response objects) spent most of a busy daemon's CPU on a provider
 * call or a contact-center delivery per message.
 *
 * @example
 *   const http = createHttpClient({ timeoutMs: 10_000 });
 *   const res = await http.requestOk('https://api.example.com/x', { method: 'POST', body: '{}' });
 */
export function createHttpClient(options: { timeoutMs: number }): HttpClient {
  let wire: { send: typeof import('undici').request; agent: Dispatcher; following: Dispatcher } | undefined;

  async function connect(): Promise<NonNullable<typeof wire>> {
    const { Agent, interceptors, request: send } = await undici();
    if (!wire) {
      const agent = new Agent({ keepAliveTimeout: 30_000 });
      wire = { send, agent, following: agent.compose(interceptors.redirect({ maxRedirections: 5 })) };
    }
    return wire;
  }

  async function request(url: string, init: HttpRequest = {}): Promise<HttpResponse> {
    const { send, agent, following } = wire ?? (await connect());
    let deadline: AbortSignal | undefined;
    try {
      return await withDeadline(init.timeoutMs ?? options.timeoutMs, async (signal) => {
        deadline = signal;
        const dispatcher: Dispatcher = init.redirect === 'follow' ? following : agent;
        const method = (init.method ?? 'GET').toUpperCase() as Dispatcher.HttpMethod;
        const res = await send(url, { method, headers: init.headers, body: init.body, signal, dispatcher });
        const text = await res.body.text();
        // Built when read: most answers are taken by their status and body alone.
        let headers: Headers | undefined;
        return {
          status: res.statusCode,
          text,
          get headers() {
            return (headers ??= toHeaders(res.headers));
          },
        };
      }, init.signal);
    } catch (err) {
      const late = deadline !== undefined && timedOut(deadline);
      throw new ProviderError(late ? `request to ${hostOf(url)} timed out` : `request to ${hostOf(url)} failed`, {
        reason: late ? 'timeout' : 'server',
        cause: err,
      });
    }
  }

  return {
    request,
    async requestOk(url, init) {
      const res = await request(url, init);
      const reason = classifyStatus(res.status);
      if (reason) {
        throw new ProviderError(`${hostOf(url)} answered ${res.status}`, { reason, status: res.status });
      }
      return res;
    },
  };
}
