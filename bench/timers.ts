/**
 * Fallback-timer lag with N pending timers. The N messages are submitted through the API at a
 * fixed rate (or, if the daemon is too slow for that, written into the store and the daemon started
 * on it), so their WhatsApp steps' `within` timers come due evenly over the same window. Lag is read
 * twice: from the daemon's own histogram, and exactly from each sampled message's history (when its
 * step timed out, and when the SMS fallback went out, against the due time).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { API_KEY, writeConfig } from './config.js';
import { measureAccepts, submitEvenly, type LoadResult } from './load.js';
import { gauge, histogram, percentile, quantile, scrape } from './metrics.js';
import { startOnPostgres } from './accepts.js';
import { tallyLog, type LogTally } from './logs.js';
import { freePort, startChild, type Child } from './procs.js';
import { seedPending } from './seed.js';
import { migrateWith, seedPendingPostgres } from './seed-postgres.js';
import { cpuShares, cpuSince, cpuTimes } from './machine-cpu.js';
import { appendedSince, hotFiles, segmentSizes, type Appended, type HotFiles } from './storefiles.js';

export interface TimerResult {
  pending: number;
  /** How the pending fallbacks were made. */
  via: 'api' | 'seed';
  /** api: the submission run (ids excluded). */
  submitted?: LoadResult & { ratePerSec: number };
  /** seed: bytes of segments and of the `state.json` snapshot written by the bench (PostgreSQL: JSON of the message rows, no snapshot), and how long it took. */
  seeded?: { segmentBytes: number; snapshotBytes: number; seconds?: number };
  /** PostgreSQL runs: the server's CPU per fired fallback, and the tables' size with the N pending and at the end. */
  postgres?: { cpuMsPerFallback: number; tablesIdle: TableSizes; tablesEnd: TableSizes };
  /** What the daemon logged over the phase (warn and up), most frequent first. */
  daemonLog?: LogTally[];
  /** Timers due in the watched window (all N unless `watchMs` cut it). */
  dueInWindow: number;
  /** Fallbacks that fired per second, first due time to the last one counted by the histogram. */
  firedPerSec: number;
  startupSec: number;
  rssAtReady: number;
  pendingSeen: number;
  rssPendingIdle: number;
  heapUsedPendingIdle: number;
  rssPeakWhileFiring: number;
  /** The most V8 heap in use, and memory outside it (buffers, strings' backing stores), the 1 s scrapes saw while they fired. */
  heapUsedPeakWhileFiring?: number;
  externalPeakWhileFiring?: number;
  rssPeakProcess: number;
  /** Longest event-loop stall the daemon itself saw (prom-client, max over 1 s scrapes) while the timers fired. */
  loopLagMaxMs: number;
  /** Daemon CPU per fired fallback over the firing window. */
  cpuMsPerFallback: number;
  /**
   * The whole machine over the firing window (/proc/stat): shares of all CPU time busy, waiting on
   * the disk and taken by the host (steal), the daemon's own share, and the worst 1 s of steal and
   * of iowait (ms over all CPUs).
   */
  machine?: { busy: number; iowait: number; steal: number; daemon: number; worstStealMs: number; worstIowaitMs: number };
  /** Store files when the N were pending (before any fired), and at the end. */
  filesIdle?: { appended: Appended; hot: HotFiles };
  filesEnd?: { appended: Appended; hot: HotFiles };
  acceptsWithPending?: LoadResult;
  histogram: { count: number; p50: { value: number; lower: number; upper: number }; p99: { value: number; lower: number; upper: number }; max: number };
  sample: { size: number; missing: number; fireP50: number; fireP99: number; fireMax: number; sendP50: number; sendP99: number; sendMax: number };
  firingWindowSec: number;
  withinSec: number;
  /** Seconds between the last accept of the N and the first due time (negative: they overlapped). */
  idleGapSec: number;
  drainSec: number;
  lastFireAfterLastDueSec: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface TableSizes {
  /** Bytes with indexes and TOAST, by table. */
  bytes: Record<string, number>;
  timers: number;
}

export interface PostgresTimers {
  url: string;
  cpuSeconds(): number;
  query<T extends Record<string, unknown>>(url: string, sql: string, params?: unknown[]): Promise<T[]>;
}

async function tableSizes(p: PostgresTimers): Promise<TableSizes> {
  const rows = await p.query<{ name: string; bytes: string }>(p.url, `SELECT c.relname AS name, pg_total_relation_size(c.oid) AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'`);
  const [{ n }] = await p.query<{ n: string }>(p.url, 'SELECT count(*) AS n FROM timers');
  return { bytes: Object.fromEntries(rows.map((r) => [r.name, Number(r.bytes)])), timers: Number(n) };
}

interface Hist { at: string; event: string; step?: number }
interface Msg { id: string; history: Hist[] }

async function fetchMessage(port: number, id: string): Promise<Msg | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/messages/${id}`, { headers: { 'x-api-key': API_KEY }, signal: AbortSignal.timeout(60_000) });
  return res.ok ? ((await res.json()) as Msg) : undefined;
}

/** The step-0 timer is armed as the step starts: due = `step_started` (step 0) + within. */
const armedDue = (m: Msg, withinMs: number): number | undefined => {
  const started = m.history.find((e) => e.event === 'step_started' && e.step === 0);
  return started ? Date.parse(started.at) + withinMs : undefined;
};

export async function runTimerLag(options: {
  dir: string;
  daemon: { cmd: string; args: string[] };
  pending: number;
  via: 'api' | 'seed';
  /** The N messages arrive evenly over this window, so their timers come due over it too. */
  spreadMs: number;
  /** Margin between the last arrival and the first due timer (idle measurements, accept probe). */
  marginMs: number;
  sampleSize: number;
  connections: number;
  acceptProbe?: { durationSec: number };
  /** Run on PostgreSQL (the database at `url`, fresh) instead of the file store in `dir`. */
  postgres?: PostgresTimers;
  /** Stop waiting for the N to fire this long after the last due time (default 300 s). */
  giveUpAfterMs?: number;
  /**
   * Seeded only: watch just the timers due in the first `watchMs` of the firing window (the rest
   * stay pending meanwhile) — lag with N pending at a rate below the spread's, bounded in time.
   */
  watchMs?: number;
  log: (line: string) => void;
}): Promise<TimerResult> {
  const pgs = options.postgres;
  const { dir, log } = options;
  const dataDir = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  const withinMs = options.spreadMs + options.marginMs;

  let seeded: TimerResult['seeded'];
  let seededIds: string[] = [];
  // Due times known from the seed (PostgreSQL: moved later by the seeding time, see below).
  let seededDue: Map<string, number> | undefined;
  const dueOf = (m: Msg) => seededDue?.get(m.id) ?? armedDue(m, withinMs);
  if (options.via === 'seed' && pgs) {
    log(`timers: seeding ${options.pending} pending fallbacks into PostgreSQL (within ${withinMs / 1000}s, due over ${options.spreadMs / 1000}s)`);
    const t = Date.now();
    migrateWith(options.daemon, pgs.url);
    // Seeding takes a while here: the arrivals end when it does, so the margin before the first due stays whole.
    const s = await seedPendingPostgres(pgs.url, options.pending, { now: t, spreadMs: options.spreadMs, withinMs });
    // Seeding takes a while here: every timer moves later by that time, so the margin before the first due stays whole.
    const shift = Date.now() - t;
    await pgs.query(pgs.url, 'UPDATE timers SET due = due + $1::bigint', [shift]);
    seeded = { segmentBytes: s.bytes, snapshotBytes: 0, seconds: shift / 1000 };
    seededDue = new Map([...s.due].map(([id, due]) => [id, due + shift]));
    seededIds = [...s.due.keys()].sort();
    log(`timers: seeded in ${seeded.seconds!.toFixed(0)} s`);
  } else if (options.via === 'seed') {
    log(`timers: seeding ${options.pending} pending fallbacks (within ${withinMs / 1000}s, due over ${options.spreadMs / 1000}s)`);
    // Arrivals end `marginMs` before the first due time minus the spread, as if accepted just now.
    const s = seedPending(dataDir, options.pending, { now: Date.now(), spreadMs: options.spreadMs, withinMs });
    seeded = { segmentBytes: s.bytes, snapshotBytes: s.snapshotBytes };
    seededIds = [...s.due.keys()].sort();
  }
  const sizesBefore = segmentSizes(dataDir);

  const t0 = Date.now();
  let daemon: Child;
  if (pgs) {
    daemon = await startOnPostgres({ name: 'daemon-timers', dir, daemon: options.daemon, url: pgs.url, scenario: 'fallback', within: `${withinMs / 1000}s` });
  } else {
    const port = await freePort();
    const config = writeConfig(dir, { port, dataDir, scenario: 'fallback', within: `${withinMs / 1000}s` });
    daemon = await startChild({ name: 'daemon-timers', cmd: options.daemon.cmd, args: [...options.daemon.args, 'start', '--config', config], cwd: dir, port, readyPath: '/-/ready', logFile: join(dir, 'daemon.log'), readyTimeoutMs: 300_000 });
  }
  const port = daemon.port;
  const startupSec = (Date.now() - t0) / 1000;
  const rssAtReady = daemon.memory().rss;
  log(`timers: daemon ready in ${startupSec.toFixed(1)} s`);

  try {
    let submitted: TimerResult['submitted'];
    let ids: string[];
    let lastArrival: number;
    if (options.via === 'api') {
      const ratePerSec = Math.round(options.pending / (options.spreadMs / 1000));
      log(`timers: submitting ${options.pending} messages through POST /v1/messages at ${ratePerSec}/s (within ${withinMs / 1000}s)`);
      const { ids: got, ...r } = await submitEvenly(port, { amount: options.pending, connections: options.connections, ratePerSec });
      lastArrival = Date.now();
      submitted = { ...r, ratePerSec };
      ids = got.sort();
      log(`timers: ${r.accepted} accepted in ${r.durationSec.toFixed(1)} s (${r.acceptsPerSec.toFixed(0)}/s, p99 ${r.latencyP99Ms} ms, non2xx ${r.non2xx}, errors ${r.errors})`);
    } else {
      ids = seededIds;
      lastArrival = t0;
    }

    const text = await scrape(port);
    // On PostgreSQL the gauge is refreshed now and then from the table: count the table itself.
    const pendingSeen = pgs ? (await tableSizes(pgs)).timers : gauge(text, 'switchboard_scheduler_pending_timers') ?? NaN;
    const first = await fetchMessage(port, ids[0]);
    const last = await fetchMessage(port, ids.at(-1)!);
    const firstDue = (first && dueOf(first)) ?? lastArrival + options.marginMs;
    const allDue = (last && dueOf(last)) ?? firstDue + options.spreadMs;
    // Watching a window: its last due time stands for the last, and only timers due in it count.
    const lastDue = options.watchMs && seededDue ? Math.min(allDue, firstDue + options.watchMs) : allDue;
    const expected = seededDue && lastDue < allDue ? [...seededDue.values()].filter((d) => d <= lastDue).length : options.pending;
    if (expected < options.pending) ids = ids.filter((id) => seededDue!.get(id)! <= lastDue);
    const idleGapSec = (firstDue - lastArrival) / 1000;
    if (idleGapSec < 0) log('timers: WARNING the first timers came due before the last message was accepted');

    await sleep(2000);
    const rssPendingIdle = daemon.memory().rss;
    const heapUsedPendingIdle = gauge(await scrape(port), 'nodejs_heap_size_used_bytes') ?? NaN;
    const filesIdle = pgs ? undefined : { appended: appendedSince(dataDir, sizesBefore), hot: hotFiles(dataDir) };
    const tablesIdle = pgs ? await tableSizes(pgs) : undefined;
    log(`timers: ${pendingSeen} pending, RSS ${(rssPendingIdle / 2 ** 20).toFixed(0)} MiB, V8 heap used ${(heapUsedPendingIdle / 2 ** 20).toFixed(0)} MiB; first due in ${((firstDue - Date.now()) / 1000).toFixed(1)} s`);

    let acceptsWithPending: LoadResult | undefined;
    if (options.acceptProbe && firstDue - Date.now() > options.acceptProbe.durationSec * 1000 + 15_000) {
      acceptsWithPending = await measureAccepts(port, { connections: options.connections, warmupSec: 0, durationSec: options.acceptProbe.durationSec, route: 'probe' });
      log(`timers: accepts (route probe) with ${pendingSeen} pending: ${acceptsWithPending.acceptsPerSec.toFixed(0)}/s`);
    }

    // Watch RSS and loop stalls while the timers fire; done when the histogram counted all N.
    while (Date.now() < firstDue - 1000) await sleep(250);
    const cpu0 = daemon.cpuSeconds();
    const pgCpu0 = pgs?.cpuSeconds() ?? 0;
    const machine0 = cpuTimes();
    let lastSecond = machine0;
    let worstStealMs = 0;
    let worstIowaitMs = 0;
    let rssPeakWhileFiring = 0;
    let heapUsedPeakWhileFiring = 0;
    let externalPeakWhileFiring = 0;
    let loopLagMaxMs = 0;
    let fired = 0;
    const giveUp = lastDue + (options.giveUpAfterMs ?? 300_000);
    while (Date.now() < giveUp) {
      await sleep(1000);
      const second = cpuSince(lastSecond, (lastSecond = cpuTimes()));
      worstStealMs = Math.max(worstStealMs, second.steal);
      worstIowaitMs = Math.max(worstIowaitMs, second.iowait);
      rssPeakWhileFiring = Math.max(rssPeakWhileFiring, daemon.memory().rss);
      const m = await scrape(port);
      loopLagMaxMs = Math.max(loopLagMaxMs, (gauge(m, 'nodejs_eventloop_lag_max_seconds') ?? 0) * 1000);
      heapUsedPeakWhileFiring = Math.max(heapUsedPeakWhileFiring, gauge(m, 'nodejs_heap_size_used_bytes') ?? 0);
      externalPeakWhileFiring = Math.max(externalPeakWhileFiring, gauge(m, 'nodejs_external_memory_bytes') ?? 0);
      fired = histogram(m, 'switchboard_scheduler_lag_seconds', { kind: 'step-timeout' }).count;
      if (fired >= expected) break;
    }
    const cpuMsPerFallback = ((daemon.cpuSeconds() - cpu0) * 1000) / Math.max(1, fired);
    const overWindow = cpuSince(machine0);
    const machine = { ...cpuShares(overWindow), daemon: ((daemon.cpuSeconds() - cpu0) * 1000) / Math.max(1, overWindow.busy + overWindow.idle + overWindow.iowait + overWindow.steal), worstStealMs, worstIowaitMs };
    const pgCpuMsPerFallback = pgs ? ((pgs.cpuSeconds() - pgCpu0) * 1000) / Math.max(1, fired) : NaN;
    const lastFireAfterLastDueSec = (Date.now() - lastDue) / 1000;
    const firedPerSec = fired / Math.max(0.001, (Date.now() - firstDue) / 1000);
    if (fired < expected) log(`timers: gave up waiting: ${fired} of ${expected} fired by ${lastFireAfterLastDueSec.toFixed(0)} s after the last due time`);
    log(`timers: ${fired} fired; the histogram reached the last one ≤ ${lastFireAfterLastDueSec.toFixed(1)} s after the last due time; longest loop stall ${loopLagMaxMs.toFixed(0)} ms`);
    const h = histogram(await scrape(port), 'switchboard_scheduler_lag_seconds', { kind: 'step-timeout' });

    // Exact lags from a sample of message histories, evenly over the arrival order.
    const sample = Array.from({ length: Math.min(options.sampleSize, ids.length) }, (_, i) => ids[Math.floor((i * ids.length) / Math.min(options.sampleSize, ids.length))]);
    const fireLags: number[] = [];
    const sendLags: number[] = [];
    let missing = 0;
    const drainStart = Date.now();
    for (let tries = 0; ; tries++) {
      fireLags.length = 0;
      sendLags.length = 0;
      missing = 0;
      for (let i = 0; i < sample.length; i += 20) {
        const got = await Promise.all(sample.slice(i, i + 20).map((id) => fetchMessage(port, id)));
        for (const m of got) {
          const due = m && dueOf(m);
          const timedOut = m?.history.find((e) => e.event === 'step_timed_out' && e.step === 0);
          const sent = m?.history.find((e) => e.event === 'attempt_sent' && e.step === 1);
          if (!due || !timedOut || !sent) {
            missing += 1;
            continue;
          }
          fireLags.push(Date.parse(timedOut.at) - due);
          sendLags.push(Date.parse(sent.at) - due);
        }
      }
      if (missing === 0 || tries >= 10 || fired < expected) break;
      await sleep(3000);
    }
    const drainSec = (Date.now() - drainStart) / 1000;
    const rssPeakProcess = daemon.memory().peak;
    await daemon.stop();
    const filesEnd = pgs ? undefined : { appended: appendedSince(dataDir, sizesBefore), hot: hotFiles(dataDir, { timeStringify: true }) };
    const postgres = pgs ? { cpuMsPerFallback: pgCpuMsPerFallback, tablesIdle: tablesIdle!, tablesEnd: await tableSizes(pgs) } : undefined;
    const fmt = (q: number) => quantile(h, q);
    return {
      pending: options.pending,
      dueInWindow: expected,
      daemonLog: tallyLog(daemon.logFile),
      via: options.via,
      submitted,
      seeded,
      startupSec,
      rssAtReady,
      pendingSeen,
      rssPendingIdle,
      heapUsedPendingIdle,
      rssPeakWhileFiring,
      heapUsedPeakWhileFiring,
      externalPeakWhileFiring,
      rssPeakProcess,
      loopLagMaxMs,
      cpuMsPerFallback,
      machine,
      postgres,
      firedPerSec,
      filesIdle,
      filesEnd,
      acceptsWithPending,
      histogram: { count: h.count, p50: fmt(0.5), p99: fmt(0.99), max: h.buckets.find((b) => b.count >= h.count)?.le ?? NaN },
      sample: {
        size: sample.length,
        missing,
        fireP50: percentile(fireLags, 0.5),
        fireP99: percentile(fireLags, 0.99),
        fireMax: Math.max(...fireLags),
        sendP50: percentile(sendLags, 0.5),
        sendP99: percentile(sendLags, 0.99),
        sendMax: Math.max(...sendLags),
      },
      firingWindowSec: (lastDue - firstDue) / 1000,
      withinSec: withinMs / 1000,
      idleGapSec,
      drainSec,
      lastFireAfterLastDueSec,
    };
  } finally {
    await daemon.stop();
  }
}
