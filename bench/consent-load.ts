/**
 * A small HTTP load client for the consent scenarios. Unlike autocannon it sends a different body
 * per request and tells when each one was answered — the reply's acknowledgement is where the
 * release latency starts.
 */
import { Agent, request } from 'node:http';

export interface Answered {
  /** Index of the request in the order it was made. */
  index: number;
  status: number;
  /** Wall clock (ms) when the whole answer had arrived: the daemon's timestamps are wall clock too. */
  at: number;
  /** Milliseconds from sending to the whole answer. */
  latencyMs: number;
  body: string;
}

export interface LoadOptions {
  port: number;
  path: string;
  headers?: Record<string, string>;
  /** Headers that depend on the body (a signature). */
  headersOf?(body: string): Record<string, string>;
  /** The body of request `i`. */
  body(i: number): string;
  connections: number;
  /** Stop after this many requests… */
  amount?: number;
  /** …or after this long, whichever comes first. */
  durationMs?: number;
  /** Requests started per second overall; unpaced (closed loop) when absent. */
  ratePerSec?: number;
  onAnswer?(a: Answered): void;
}

export interface LoadSummary {
  sent: number;
  ok: number;
  failed: number;
  durationSec: number;
  perSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

function post(agent: Agent, o: LoadOptions, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: o.port, path: o.path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...o.headers, ...o.headersOf?.(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve({ status: 0, text: '' }));
    });
    req.setTimeout(60_000, () => req.destroy());
    req.on('error', () => resolve({ status: 0, text: '' }));
    req.end(body);
  });
}

/** Runs `connections` keep-alive loops that share one request counter (and one pace, if given). */
export async function runLoad(o: LoadOptions): Promise<LoadSummary> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.connections });
  const start = performance.now();
  const deadline = o.durationMs === undefined ? Infinity : start + o.durationMs;
  const amount = o.amount ?? Infinity;
  const latencies: number[] = [];
  let next = 0;
  let ok = 0;
  let failed = 0;
  const loop = async () => {
    for (;;) {
      const i = next;
      if (i >= amount || performance.now() >= deadline) return;
      next += 1;
      // Paced: request i starts no earlier than i / rate after the start, whichever loop takes it.
      if (o.ratePerSec) {
        const wait = start + (i * 1000) / o.ratePerSec - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const t = performance.now();
      const { status, text } = await post(agent, o, o.body(i));
      const latencyMs = performance.now() - t;
      latencies.push(latencyMs);
      if (status >= 200 && status < 300) ok += 1;
      else failed += 1;
      o.onAnswer?.({ index: i, status, at: Date.now(), latencyMs, body: text });
    }
  };
  await Promise.all(Array.from({ length: o.connections }, loop));
  agent.destroy();
  const durationSec = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] : NaN);
  return { sent: next, ok, failed, durationSec, perSec: ok / durationSec, latencyP50Ms: q(0.5), latencyP99Ms: q(0.99) };
}
