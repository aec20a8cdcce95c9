import { CliError, type Env } from './io.js';

export interface ApiOptions {
  url?: string;
  key?: string;
}

/** No answer at all (refused, reset, timed out), as opposed to an answer that says no: `tail` retries only these. */
export class UnreachableError extends CliError {}

/** An API call that hangs longer than this is reported, not waited on forever. */
const TIMEOUT_MS = 30_000;

/**
 * The REST API as the CLI sees it: JSON in and out, `x-api-key` on every call, and every failure
 * (unreachable, refused, an error body) turned into a one-line CliError.
 *
 * @example const api = createApiClient({ url: values.url, key: values.key }, io.env);
 *          const page = await api.get<Page<Message>>('/v1/messages', { status: 'failed' });
 */
export interface ApiClient {
  readonly url: string;
  get<T>(path: string, query?: Record<string, string | undefined>): Promise<T>;
  post<T>(path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
  delete(path: string): Promise<void>;
}

export function createApiClient(options: ApiOptions, env: Env): ApiClient {
  const url = (options.url ?? env.SWITCHBOARD_URL ?? '').replace(/\/+$/, '');
  const key = options.key ?? env.SWITCHBOARD_API_KEY;
  if (!url) throw new CliError('no gateway URL: pass --url http://host:port or set SWITCHBOARD_URL', 2);
  if (!/^https?:\/\/[^/]/.test(url)) throw new CliError(`--url must be an http:// or https:// URL, got ${url}`, 2);
  if (!key) throw new CliError('no API key: pass --key or set SWITCHBOARD_API_KEY', 2);

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const target = `${url}${path}`;
    let res: Response;
    try {
      res = await fetch(target, {
        method,
        headers: { 'x-api-key': key!, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw new UnreachableError(`cannot reach the gateway at ${url}: ${reasonOf(err)}`);
    }
    if (!res.ok) throw await refusal(res, method, path);
    return res;
  }

  return {
    url,
    async get<T>(path: string, query: Record<string, string | undefined> = {}) {
      const qs = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined)).toString();
      return (await call('GET', qs ? `${path}?${qs}` : path)).json() as Promise<T>;
    },
    async post<T>(path: string, body?: unknown, headers?: Record<string, string>) {
      return (await call('POST', path, body ?? {}, headers)).json() as Promise<T>;
    },
    async delete(path: string) {
      await call('DELETE', path);
    },
  };
}

/** fetch hides the socket error (ECONNREFUSED, ENOTFOUND) in `cause`; that is the useful part. */
export function reasonOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if ((err as Error).name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000}s`;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

async function refusal(res: Response, method: string, path: string): Promise<CliError> {
  const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string; details?: unknown };
  const details = Array.isArray(body.details) && body.details.length > 0 ? `: ${body.details.map(String).join('; ')}` : '';
  return new CliError(`${method} ${path.split('?')[0]} refused (${res.status} ${body.code ?? res.statusText}): ${body.message ?? 'no message'}${details}`);
}
