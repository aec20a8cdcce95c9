import { headers, sleep } from '../soak/load.js';

/** One Idempotency-Key, its body, and what the instances answered. */
export interface SpreadKey {
  key: string;
  route: string;
  body: string;
  /** The id of the first 202. */
  id?: string;
  /** Instance URL of that 202. */
  ackedBy?: string;
  requests: number;
}

export interface SpreadStats {
  requests: number;
  statuses: Record<number, number>;
  /** 503s without a Retry-After header (must stay 0). */
  unavailableWithoutRetryAfter: number;
  unanswered: number;
  /** A key first cut or refused, later acknowledged, by another instance than the one first tried. */
  crossInstanceRetries: number;
  /** A later 202 for a key that answered another id (must stay 0). */
  idMismatches: string[];
  /** Non-202 bodies seen, by status and code, for the report. */
  errors: Record<string, number>;
  /** Milliseconds each answered request took. */
  latencies: number[];
}

export interface SpreadOptions {
  senders: number;
  random: () => number;
  /** Share of new messages on the `quick` route (one SMS step), the rest on `default` (fallback). */
  quickShare: number;
  /** Chance a sender retries a key that has no 202 yet, at a random live instance. */
  retryShare: number;
}

/**
 * Concurrent senders spreading `POST /v1/messages` over whichever instances are live, each new
 * message with its own Idempotency-Key; a key whose request was cut or refused is retried later,
 * with the same body, at any live instance, and must then make the same one message.
 */
export function createSpreadLoad(options: SpreadOptions) {
  const { random } = options;
  const keys = new Map<string, SpreadKey>();
  const acked: SpreadKey[] = [];
  const pool = new Set<SpreadKey>();
  const firstTried = new Map<SpreadKey, string>();
  const stats: SpreadStats = { requests: 0, statuses: {}, unavailableWithoutRetryAfter: 0, unanswered: 0, crossInstanceRetries: 0, idMismatches: [], errors: {}, latencies: [] };
  let targets: string[] = [];
  let stopped = false;
  let inFlight = 0;
  let counter = 0;

  function newKey(): SpreadKey {
    counter += 1;
    const key = `multi-${counter}-${Math.floor(random() * 1e9).toString(36)}`;
    const route = random() < options.quickShare ? 'quick' : 'default';
    const body = JSON.stringify({
      route,
      to: { phone: `+1555${String(counter % 10_000_000).padStart(7, '0')}`, email: `multi${counter}@example.com` },
      content: { text: `multi message ${key}`, subject: 'multi' },
    });
    const rec: SpreadKey = { key, route, body, requests: 0 };
    keys.set(key, rec);
    return rec;
  }

  /** Sends `rec` once to `url`; true on a 202. */
  async function post(url: string, rec: SpreadKey): Promise<boolean> {
    rec.requests += 1;
    stats.requests += 1;
    inFlight += 1;
    if (!firstTried.has(rec)) firstTried.set(rec, url);
    const sentAt = performance.now();
    try {
      const res = await fetch(`${url}/v1/messages`, { method: 'POST', headers: { ...headers, 'idempotency-key': rec.key }, body: rec.body, signal: AbortSignal.timeout(15_000) });
      stats.latencies.push(performance.now() - sentAt);
      stats.statuses[res.status] = (stats.statuses[res.status] ?? 0) + 1;
      if (res.status === 503 && !res.headers.get('retry-after')) stats.unavailableWithoutRetryAfter += 1;
      const answer = (await res.json().catch(() => ({}))) as { id?: string; code?: string };
      if (res.status !== 202 || typeof answer.id !== 'string') {
        const label = `${res.status} ${answer.code ?? ''}`.trim();
        stats.errors[label] = (stats.errors[label] ?? 0) + 1;
        if (!rec.id) pool.add(rec);
        return false;
      }
      if (rec.id === undefined) {
        rec.id = answer.id;
        rec.ackedBy = url;
        acked.push(rec);
        if (rec.requests > 1 && firstTried.get(rec) !== url) stats.crossInstanceRetries += 1;
      } else if (rec.id !== answer.id) {
        stats.idMismatches.push(`${rec.key}: first ${rec.id} (${rec.ackedBy}), then ${answer.id} (${url})`);
      }
      pool.delete(rec);
      return true;
    } catch {
      stats.unanswered += 1;
      if (!rec.id) pool.add(rec);
      return false;
    } finally {
      inFlight -= 1;
    }
  }

  async function sender(): Promise<void> {
    while (!stopped) {
      const live = targets;
      if (live.length === 0) {
        await sleep(20);
        continue;
      }
      const url = live[Math.floor(random() * live.length)];
      const rec = pool.size > 0 && random() < options.retryShare ? [...pool][Math.floor(random() * pool.size)] : newKey();
      const ok = await post(url, rec);
      // A refused accept (503) asks for a pause; without it the senders would spin on an outage.
      if (!ok) await sleep(50);
    }
  }

  let running: Promise<void[]> | undefined;
  return {
    keys,
    acked,
    pool,
    stats,
    get inFlight() {
      return inFlight;
    },
    /** The instances senders pick from; an empty list pauses them. */
    setTargets(urls: string[]): void {
      targets = [...urls];
    },
    start(): void {
      running = Promise.all(Array.from({ length: options.senders }, () => sender()));
    },
    async stop(): Promise<void> {
      stopped = true;
      await running;
    },
    /** Retries every key without a 202 across `urls`, a few rounds; returns those still without one. */
    async settlePool(urls: string[], rounds = 6): Promise<SpreadKey[]> {
      for (let round = 0; round < rounds && pool.size > 0; round += 1) {
        const list = [...pool];
        for (let i = 0; i < list.length; i += 16) await Promise.all(list.slice(i, i + 16).map((rec, j) => post(urls[(round + i + j) % urls.length], rec)));
        if (pool.size > 0) await sleep(500);
      }
      return [...pool];
    },
  };
}

export type SpreadLoad = ReturnType<typeof createSpreadLoad>;

/** `p50/p99/max` of the answered requests' latencies, in ms. */
export function latencySummary(latencies: readonly number[]): string {
  if (latencies.length === 0) return 'no answers';
  const sorted = [...latencies].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))].toFixed(0);
  return `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`;
}
