/**
 * The plumbing the ACS, Entra and Infobip fakes share: a local HTTP server whose handler reads
 * the whole body first, JSON answers, and a queue of scripted failures.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  headers: IncomingHttpHeaders;
  raw: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  body: unknown;
}

/** What the next matching request gets instead of a normal answer, or a delay before it. */
export type Failure = { status: number; body?: unknown; headers?: Record<string, string> } | { delayMs: number };

export interface FakeServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  close(): Promise<void>;
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body === undefined ? '' : JSON.stringify(body));
}

export function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** Scripted failures, used in order. */
export function failureQueue() {
  const queue: Failure[] = [];
  return {
    push(failure: Failure | number, times = 1) {
      for (let i = 0; i < times; i += 1) queue.push(typeof failure === 'number' ? { status: failure } : failure);
    },
    clear: () => void queue.splice(0),
    /**
     * Applies the next failure: true when it answered the request (with `body`, or the fake's own
     * error body for that status from `errorBody`); a delay only waits.
     */
    async apply(res: ServerResponse, errorBody: (status: number) => unknown): Promise<boolean> {
      const failure = queue.shift();
      if (!failure) return false;
      if ('delayMs' in failure) {
        await new Promise((resolve) => setTimeout(resolve, failure.delayMs));
        return false;
      }
      json(res, failure.status, failure.body ?? errorBody(failure.status), failure.headers);
      return true;
    },
  };
}

/** Starts a server on 127.0.0.1 whose handler gets each request with its body read and recorded. */
export async function startFakeServer(handle: (req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest) => void | Promise<void>): Promise<FakeServer> {
  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks).toString('utf8');
      await handle(req, res, { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, raw, body: parseJson(raw) });
    })().catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: String(err) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => closeServer(server),
  };
}

/** Closes a fake's server, cutting the connections a client keeps alive. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** POSTs a body as a provider does (the caller's headers, no content type added) and answers the status. */
export async function postStatus(url: string, headers: Record<string, string>, body: string): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers, body });
  await res.arrayBuffer();
  return res.status;
}

/** POSTs a JSON body with extra headers; answers status and text. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}, method = 'POST'): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: method === 'OPTIONS' ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, text: await res.text(), headers: res.headers };
}
