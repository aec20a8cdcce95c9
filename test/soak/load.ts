import { API_KEY } from '../helpers/gateway.js';

/** A seeded PRNG (mulberry32), so a failing run can be replayed with its seed. */
export function createRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const headers = { 'x-api-key': API_KEY, 'content-type': 'application/json' };

/** One Idempotency-Key, the body that always goes with it, and what the gateway answered. */
export interface KeyRecord {
  key: string;
  body: string;
  /** The id of the first 202; set once. */
  id?: string;
  requests: number;
  /** Requests for this key that got no answer (connection reset or refused by a kill). */
  unanswered: number;
}

export interface LoadStats {
  requests: number;
  /** Answers by HTTP status. */
  statuses: Record<number, number>;
  /** Requests that got no HTTP answer at all. */
  unanswered: number;
  /** A retried key that finally got its 202 after a request without an answer. */
  retriedAcked: number;
  /** Retries sent as two requests at once. */
  twins: number;
  /** A replay of an acknowledged key that answered with another id (must stay 0). */
  replayMismatches: string[];
}

export interface LoadOptions {
  senders: number;
  random: () => number;
  /** Share of new messages that go to the quick route instead of the fallback route. */
  quickShare: number;
  /** Chance a sender retries a key whose request got no answer, while there are any. */
  retryShare: number;
  /** Chance a sender replays an acknowledged key (the answer must carry the same id). */
  replayShare: number;
  /** Chance a retry of a cut key goes out twice at once, as from two workers of one client. */
  twinShare: number;
}

/**
 * Concurrent senders of `POST /v1/messages`, each with a unique Idempotency-Key, against whatever
 * daemon `target` points at (none while it is down). Records every key, its id once a 202 came,
 * and the keys whose request died with the daemon, which are retried later with the same body.
 */
export function createLoad(options: LoadOptions) {
  const keys = new Map<string, KeyRecord>();
  const acked: KeyRecord[] = [];
  const pool = new Set<KeyRecord>();
  const stats: LoadStats = { requests: 0, statuses: {}, unanswered: 0, retriedAcked: 0, twins: 0, replayMismatches: [] };
  const { random } = options;
  let target: string | undefined;
  let stopped = false;
  let inFlight = 0;
  let counter = 0;

  function newKey(): KeyRecord {
    counter += 1;
    const key = `soak-${counter}-${Math.floor(random() * 1e9).toString(36)}`;
    const quick = random() < options.quickShare;
    const body = JSON.stringify({
      route: quick ? 'quick' : 'default',
      to: { phone: `+1555${String(counter % 10_000_000).padStart(7, '0')}`, email: `soak${counter}@example.com` },
      content: { text: `soak message ${key}`, subject: 'soak' },
    });
    const rec: KeyRecord = { key, body, requests: 0, unanswered: 0 };
    keys.set(key, rec);
    return rec;
  }

  /** The key to send next, and how many requests carry it at once. */
  function pick(): { rec: KeyRecord; copies: number } {
    const r = random();
    if (pool.size > 0 && r < options.retryShare) {
      const list = [...pool];
      return { rec: list[Math.floor(random() * list.length)], copies: random() < options.twinShare ? 2 : 1 };
    }
    if (acked.length > 0 && r < options.retryShare + options.replayShare) return { rec: acked[Math.floor(random() * acked.length)], copies: 1 };
    return { rec: newKey(), copies: 1 };
  }

  /** Sends `rec` once to `url`; true when it got a 202. */
  async function post(url: string, rec: KeyRecord): Promise<boolean> {
    rec.requests += 1;
    stats.requests += 1;
    inFlight += 1;
    try {
      const res = await fetch(`${url}/v1/messages`, { method: 'POST', headers: { ...headers, 'idempotency-key': rec.key }, body: rec.body, signal: AbortSignal.timeout(15_000) });
      stats.statuses[res.status] = (stats.statuses[res.status] ?? 0) + 1;
      const answer = (await res.json().catch(() => ({}))) as { id?: string };
      if (res.status !== 202 || typeof answer.id !== 'string') {
        if (!rec.id) pool.add(rec);
        return false;
      }
      if (rec.id === undefined) {
        rec.id = answer.id;
        acked.push(rec);
        if (rec.unanswered > 0) stats.retriedAcked += 1;
      } else if (rec.id !== answer.id) {
        stats.replayMismatches.push(`${rec.key}: first ${rec.id}, then ${answer.id}`);
      }
      pool.delete(rec);
      return true;
    } catch {
      rec.unanswered += 1;
      stats.unanswered += 1;
      if (!rec.id) pool.add(rec);
      return false;
    } finally {
      inFlight -= 1;
    }
  }

  async function sender(): Promise<void> {
    while (!stopped) {
      const url = target;
      if (!url) {
        await sleep(20);
        continue;
      }
      const { rec, copies } = pick();
      if (copies > 1) stats.twins += 1;
      await Promise.all(Array.from({ length: copies }, () => post(url, rec)));
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
    /** Points the senders at a daemon, or at nothing while it is down. */
    setTarget(url: string | undefined): void {
      target = url;
    },
    start(): void {
      running = Promise.all(Array.from({ length: options.senders }, () => sender()));
    },
    async stop(): Promise<void> {
      stopped = true;
      await running;
    },
    /**
     * Retries every key still without a 202 against `url`, a few times each; returns the keys that
     * still have none (answered, but never 202).
     */
    async settlePool(url: string, rounds = 5): Promise<KeyRecord[]> {
      for (let round = 0; round < rounds && pool.size > 0; round += 1) {
        const list = [...pool];
        for (let i = 0; i < list.length; i += 16) await Promise.all(list.slice(i, i + 16).map((rec) => post(url, rec)));
        if (pool.size > 0) await sleep(500);
      }
      return [...pool];
    },
  };
}

export type Load = ReturnType<typeof createLoad>;
