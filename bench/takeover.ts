/**
 * Takeover of a dead instance's timers: two daemons (A, B) on one database with `store.lease`;
 * fallback timers armed through A come due; A claims some and is killed with SIGKILL while it holds
 * them; then B must fire them once their leases run out. B is frozen (SIGSTOP) from just before
 * the first due time until A is dead, so that every lease in the table at the kill is A's, then
 * thawed (SIGCONT) — well before those leases run out. Each held timer's takeover is read from its
 * message's history (`step_timed_out` of step 0, written by whoever fired it) against the lease's
 * end as the table said at the kill, and against the kill itself.
 */
import { API_KEY } from './config.js';
import { startOnPostgres } from './accepts.js';
import { submit } from './load.js';
import { percentile } from './metrics.js';
import type { Child } from './procs.js';
import type { PostgresTimers } from './timers.js';

export interface TakeoverResult {
  leaseMs: number;
  withinSec: number;
  /** Messages submitted through A, and how fast. */
  submitted: number;
  submitRatePerSec: number;
  /** Timers leased (by A) in the table right after A died. */
  heldAtKill: number;
  /** Of those, fired (a `step_timed_out` recorded) by the end, and how many times. */
  fired: number;
  firedTwice: number;
  /** SMS fallback attempts (step 1) beyond one per message: a second provider send. */
  extraSends: number;
  /** First due time → kill (ms): how long A had been firing. */
  killAfterFirstDueMs: number;
  /** Fired minus the lease's end (`lease_until` at the kill), ms. */
  fromExpiry: { p50: number; p99: number; max: number; min: number };
  /** Fired minus the moment A was killed, ms. */
  fromKill: { p50: number; p99: number; max: number };
  /** All submitted messages: how many recorded exactly one `step_timed_out` for step 0. */
  allOnce: number;
  allMissing: number;
}

interface Hist { at: string; event: string; step?: number }
interface Msg { id: string; history: Hist[]; attempts: { step: number }[] }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fetchMessage(port: number, id: string): Promise<Msg | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/messages/${id}`, { headers: { 'x-api-key': API_KEY }, signal: AbortSignal.timeout(30_000) });
  return res.ok ? ((await res.json()) as Msg) : undefined;
}

const timedOut = (m: Msg) => m.history.filter((e) => e.event === 'step_timed_out' && e.step === 0);

export async function runTakeover(options: {
  dir: string;
  daemon: { cmd: string; args: string[] };
  postgres: PostgresTimers;
  /** `store.lease` for both instances (a duration string). */
  lease: string;
  leaseMs: number;
  messages: number;
  ratePerSec: number;
  log: (line: string) => void;
}): Promise<TakeoverResult> {
  const { log, postgres: pgs } = options;
  const submitSec = options.messages / options.ratePerSec;
  const withinSec = Math.ceil(submitSec + 8);
  const start = (name: string) => startOnPostgres({ name, dir: options.dir, daemon: options.daemon, url: pgs.url, scenario: 'fallback', within: `${withinSec}s`, lease: options.lease });
  const a: Child = await start('daemon-a');
  let b: Child | undefined;
  try {
    b = await start('daemon-b');
    log(`takeover: A and B ready on one database (store.lease ${options.lease}); submitting ${options.messages} fallbacks to A at ${options.ratePerSec}/s (within ${withinSec}s)`);
    const t0 = Date.now();
    const { ids, ...r } = await submit(a.port, { amount: options.messages, connections: 10, ratePerSec: options.ratePerSec });
    if (ids.length === 0) throw new Error(`A accepted none of ${options.messages} (non2xx ${r.non2xx}, errors ${r.errors})`);
    const firstDue = t0 + withinSec * 1000;

    // B sleeps through the first due time, so only A claims; A dies holding what it claimed.
    while (Date.now() < firstDue - 500) await sleep(50);
    b.pause();
    let killAt = 0;
    try {
      const deadline = firstDue + 10_000;
      while (Date.now() < deadline) {
        const [{ n }] = await pgs.query<{ n: string }>(pgs.url, 'SELECT count(*) AS n FROM timers WHERE lease_owner IS NOT NULL');
        if (Number(n) > 0) break;
        await sleep(10);
      }
      await sleep(100);
      killAt = Date.now();
      await a.kill();
    } finally {
      b.resume();
    }
    const held = await pgs.query<{ id: string; message: string; lease_until: string }>(pgs.url, `SELECT id, payload->>'message' AS message, lease_until FROM timers WHERE lease_owner IS NOT NULL`);
    log(`takeover: A killed ${killAt - firstDue} ms after the first due time, holding ${held.length} leased timers (leases end ${held.length ? Math.min(...held.map((h) => Number(h.lease_until))) - killAt : NaN}–${held.length ? Math.max(...held.map((h) => Number(h.lease_until))) - killAt : NaN} ms after the kill)`);

    // Wait for B to fire every message (those A held and the rest), bounded.
    const leaseEnd = held.length ? Math.max(...held.map((h) => Number(h.lease_until))) : killAt;
    const giveUp = Math.max(leaseEnd, firstDue + submitSec * 1000) + 30_000;
    let got: (Msg | undefined)[] = [];
    while (Date.now() < giveUp) {
      await sleep(1000);
      got = [];
      for (let i = 0; i < ids.length; i += 25) got.push(...(await Promise.all(ids.slice(i, i + 25).map((id) => fetchMessage(b!.port, id)))));
      if (got.every((m) => m && timedOut(m).length > 0)) break;
    }
    const byId = new Map(got.filter((m): m is Msg => m !== undefined).map((m) => [m.id, m]));
    const fromExpiry: number[] = [];
    const fromKill: number[] = [];
    let firedTwice = 0;
    for (const h of held) {
      const m = byId.get(h.message);
      const events = m ? timedOut(m) : [];
      if (events.length === 0) continue;
      if (events.length > 1) firedTwice += 1;
      const at = Date.parse(events.at(-1)!.at);
      fromExpiry.push(at - Number(h.lease_until));
      fromKill.push(at - killAt);
    }
    const all = [...byId.values()];
    return {
      leaseMs: options.leaseMs,
      withinSec,
      submitted: ids.length,
      submitRatePerSec: options.ratePerSec,
      heldAtKill: held.length,
      fired: fromExpiry.length,
      firedTwice,
      extraSends: all.reduce((n, m) => n + Math.max(0, m.attempts.filter((x) => x.step === 1).length - 1), 0),
      killAfterFirstDueMs: killAt - firstDue,
      fromExpiry: { p50: percentile(fromExpiry, 0.5), p99: percentile(fromExpiry, 0.99), max: Math.max(...fromExpiry), min: Math.min(...fromExpiry) },
      fromKill: { p50: percentile(fromKill, 0.5), p99: percentile(fromKill, 0.99), max: Math.max(...fromKill) },
      allOnce: all.filter((m) => timedOut(m).length === 1).length,
      allMissing: ids.length - all.filter((m) => timedOut(m).length > 0).length,
    };
  } finally {
    b?.resume();
    await Promise.all([a.kill(), b?.stop()]);
  }
}
