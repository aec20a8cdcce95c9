/**
 * Takeover of a dead instance's timers: two daemons (A, B) on one database with `store.lease`;
 * pending fallback timers (written into the tables, all due within 100 ms) come due; A claims some
 * and is killed with SIGKILL while it holds them; then B must fire them once their leases run out. B is frozen (SIGSTOP) from just before
 * the first due time until A is dead, so that every lease in the table at the kill is A's, then
 * thawed (SIGCONT) — well before those leases run out. Each held timer's takeover is read from its
 * message's history (`step_timed_out` of step 0, written by whoever fired it) against the lease's
 * end as the table said at the kill, and against the kill itself.
 */
import { API_KEY } from './config.js';
import { startOnPostgres } from './accepts.js';
import pg from 'pg';
import { tallyLog, type LogTally } from './logs.js';
import { migrateWith, seedPendingPostgres } from './seed-postgres.js';
import { percentile } from './metrics.js';
import type { Child } from './procs.js';
import type { PostgresTimers } from './timers.js';

export interface TakeoverResult {
  leaseMs: number;
  withinSec: number;
  /** Pending fallbacks written into the tables (all due within 100 ms). */
  submitted: number;
  /** Distinct lease owners among the held timers (1: all A's). */
  owners: number;
  /** When the held leases ran out, relative to the kill (ms). */
  leaseEndAfterKillMs: { min: number; max: number };
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
  /** What B logged (warn and up). */
  survivorLog: LogTally[];
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
  log: (line: string) => void;
}): Promise<TakeoverResult> {
  const { log, postgres: pgs } = options;
  const withinSec = 600;
  // The pending fallbacks go straight into the tables, all due within 100 ms of each other, so
  // that A has many claimed at once; their due time is set once both daemons are up.
  migrateWith(options.daemon, pgs.url);
  const seed = await seedPendingPostgres(pgs.url, options.messages, { now: Date.now(), spreadMs: 100, withinMs: withinSec * 1000 });
  const ids = [...seed.due.keys()];
  const start = (name: string) => startOnPostgres({ name, dir: options.dir, daemon: options.daemon, url: pgs.url, scenario: 'fallback', within: `${withinSec}s`, lease: options.lease });
  const a: Child = await start('daemon-a');
  let b: Child | undefined;
  const db = new pg.Client({ connectionString: pgs.url });
  await db.connect();
  try {
    b = await start('daemon-b');
    const firstDue = Date.now() + 3000;
    await db.query('UPDATE timers SET due = $1::bigint + (due - (SELECT min(due) FROM timers))', [firstDue]);
    log(`takeover: A and B ready on one database (store.lease ${options.lease}); ${ids.length} pending fallbacks due 3 s from now, within 100 ms`);

    // B sleeps through the first due time, so only A claims; A dies holding what it claimed.
    while (Date.now() < firstDue - 500) await sleep(50);
    b.pause();
    let killAt = 0;
    let held: { id: string; message: string; owner: string; lease_until: string }[] = [];
    try {
      const deadline = firstDue + 10_000;
      let firstClaim = 0;
      while (Date.now() < deadline) {
        const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM timers WHERE lease_owner IS NOT NULL');
        if (Number(rows[0].n) > 0 && firstClaim === 0) firstClaim = Date.now();
        // Kill once A holds them all (fewer than one claim's 128 are claimed at once), or 100 ms after its first claim.
        if (Number(rows[0].n) >= ids.length || (firstClaim && Date.now() - firstClaim >= 100)) break;
        await sleep(5);
      }
      killAt = Date.now();
      await a.kill();
      // Still before B thaws: every lease in the table is A's.
      held = (await db.query<{ id: string; message: string; owner: string; lease_until: string }>(`SELECT id, payload->>'message' AS message, lease_owner AS owner, lease_until FROM timers WHERE lease_owner IS NOT NULL`)).rows;
    } finally {
      b.resume();
    }
    const leaseEnds = held.map((h) => Number(h.lease_until) - killAt);
    log(`takeover: A killed ${killAt - firstDue} ms after the first due time, holding ${held.length} leased timers (leases end ${Math.min(...leaseEnds)}–${Math.max(...leaseEnds)} ms after the kill)`);

    // Wait for B to fire every message (those A held and the rest), bounded.
    const leaseEnd = killAt + Math.max(0, ...leaseEnds);
    const giveUp = Math.max(leaseEnd, firstDue) + 60_000;
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
      owners: new Set(held.map((h) => h.owner)).size,
      heldAtKill: held.length,
      fired: fromExpiry.length,
      firedTwice,
      extraSends: all.reduce((n, m) => n + Math.max(0, m.attempts.filter((x) => x.step === 1).length - 1), 0),
      killAfterFirstDueMs: killAt - firstDue,
      leaseEndAfterKillMs: { min: Math.min(...leaseEnds), max: Math.max(...leaseEnds) },
      fromExpiry: { p50: percentile(fromExpiry, 0.5), p99: percentile(fromExpiry, 0.99), max: Math.max(...fromExpiry), min: Math.min(...fromExpiry) },
      fromKill: { p50: percentile(fromKill, 0.5), p99: percentile(fromKill, 0.99), max: Math.max(...fromKill) },
      allOnce: all.filter((m) => timedOut(m).length === 1).length,
      allMissing: ids.length - all.filter((m) => timedOut(m).length > 0).length,
      survivorLog: tallyLog(b.logFile),
    };
  } finally {
    b?.resume();
    await db.end().catch(() => undefined);
    await Promise.all([a.kill(), b?.stop()]);
  }
}
