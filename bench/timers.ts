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
import { measureAccepts, submit, type LoadResult } from './load.js';
import { gauge, histogram, percentile, quantile, scrape } from './metrics.js';
import { freePort, startChild } from './procs.js';
import { seedPending } from './seed.js';
import { appendedSince, hotFiles, segmentSizes, type Appended, type HotFiles } from './storefiles.js';

export interface TimerResult {
  pending: number;
  /** How the pending fallbacks were made. */
  via: 'api' | 'seed';
  /** api: the submission run (ids excluded). */
  submitted?: LoadResult & { ratePerSec: number };
  /** seed: bytes of segments and of the `state.json` snapshot written by the bench. */
  seeded?: { segmentBytes: number; snapshotBytes: number };
  startupSec: number;
  rssAtReady: number;
  pendingSeen: number;
  rssPendingIdle: number;
  heapUsedPendingIdle: number;
  rssPeakWhileFiring: number;
  rssPeakProcess: number;
  /** Longest event-loop stall the daemon itself saw (prom-client, max over 1 s scrapes) while the timers fired. */
  loopLagMaxMs: number;
  /** Daemon CPU per fired fallback over the firing window. */
  cpuMsPerFallback: number;
  /** Store files when the N were pending (before any fired), and at the end. */
  filesIdle: { appended: Appended; hot: HotFiles };
  filesEnd: { appended: Appended; hot: HotFiles };
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

interface Hist { at: string; event: string; step?: number }
interface Msg { id: string; history: Hist[] }

async function fetchMessage(port: number, id: string): Promise<Msg | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/messages/${id}`, { headers: { 'x-api-key': API_KEY }, signal: AbortSignal.timeout(60_000) });
  return res.ok ? ((await res.json()) as Msg) : undefined;
}

/** The step-0 timer is armed as the step starts: due = `step_started` (step 0) + within. */
const dueOf = (m: Msg, withinMs: number): number | undefined => {
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
  log: (line: string) => void;
}): Promise<TimerResult> {
  const { dir, log } = options;
  const dataDir = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  const withinMs = options.spreadMs + options.marginMs;

  let seeded: TimerResult['seeded'];
  let seededIds: string[] = [];
  if (options.via === 'seed') {
    log(`timers: seeding ${options.pending} pending fallbacks (within ${withinMs / 1000}s, due over ${options.spreadMs / 1000}s)`);
    // Arrivals end `marginMs` before the first due time minus the spread, as if accepted just now.
    const s = seedPending(dataDir, options.pending, { now: Date.now(), spreadMs: options.spreadMs, withinMs });
    seeded = { segmentBytes: s.bytes, snapshotBytes: s.snapshotBytes };
    seededIds = [...s.due.keys()].sort();
  }
  const sizesBefore = segmentSizes(dataDir);

  const port = await freePort();
  const config = writeConfig(dir, { port, dataDir, scenario: 'fallback', within: `${withinMs / 1000}s` });
  const t0 = Date.now();
  const daemon = await startChild({ name: 'daemon-timers', cmd: options.daemon.cmd, args: [...options.daemon.args, 'start', '--config', config], cwd: dir, port, readyPath: '/-/ready', logFile: join(dir, 'daemon.log'), readyTimeoutMs: 300_000 });
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
      const { ids: got, ...r } = await submit(port, { amount: options.pending, connections: options.connections, ratePerSec });
      lastArrival = Date.now();
      submitted = { ...r, ratePerSec };
      ids = got.sort();
      log(`timers: ${r.accepted} accepted in ${r.durationSec.toFixed(1)} s (${r.acceptsPerSec.toFixed(0)}/s, p99 ${r.latencyP99Ms} ms, non2xx ${r.non2xx}, errors ${r.errors})`);
    } else {
      ids = seededIds;
      lastArrival = t0;
    }

    const text = await scrape(port);
    const pendingSeen = gauge(text, 'switchboard_scheduler_pending_timers') ?? NaN;
    const first = await fetchMessage(port, ids[0]);
    const last = await fetchMessage(port, ids.at(-1)!);
    const firstDue = (first && dueOf(first, withinMs)) ?? lastArrival + options.marginMs;
    const lastDue = (last && dueOf(last, withinMs)) ?? firstDue + options.spreadMs;
    const idleGapSec = (firstDue - lastArrival) / 1000;
    if (idleGapSec < 0) log('timers: WARNING the first timers came due before the last message was accepted');

    await sleep(2000);
    const rssPendingIdle = daemon.memory().rss;
    const heapUsedPendingIdle = gauge(await scrape(port), 'switchboard_nodejs_heap_size_used_bytes') ?? NaN;
    const filesIdle = { appended: appendedSince(dataDir, sizesBefore), hot: hotFiles(dataDir) };
    log(`timers: ${pendingSeen} pending, RSS ${(rssPendingIdle / 2 ** 20).toFixed(0)} MiB, V8 heap used ${(heapUsedPendingIdle / 2 ** 20).toFixed(0)} MiB; first due in ${((firstDue - Date.now()) / 1000).toFixed(1)} s`);

    let acceptsWithPending: LoadResult | undefined;
    if (options.acceptProbe && firstDue - Date.now() > options.acceptProbe.durationSec * 1000 + 15_000) {
      acceptsWithPending = await measureAccepts(port, { connections: options.connections, warmupSec: 0, durationSec: options.acceptProbe.durationSec, route: 'probe' });
      log(`timers: accepts (route probe) with ${pendingSeen} pending: ${acceptsWithPending.acceptsPerSec.toFixed(0)}/s`);
    }

    // Watch RSS and loop stalls while the timers fire; done when the histogram counted all N.
    while (Date.now() < firstDue - 1000) await sleep(250);
    const cpu0 = daemon.cpuSeconds();
    let rssPeakWhileFiring = 0;
    let loopLagMaxMs = 0;
    let fired = 0;
    const giveUp = lastDue + 300_000;
    while (Date.now() < giveUp) {
      await sleep(1000);
      rssPeakWhileFiring = Math.max(rssPeakWhileFiring, daemon.memory().rss);
      const m = await scrape(port);
      loopLagMaxMs = Math.max(loopLagMaxMs, (gauge(m, 'switchboard_nodejs_eventloop_lag_max_seconds') ?? 0) * 1000);
      fired = histogram(m, 'switchboard_scheduler_lag_seconds', { kind: 'step-timeout' }).count;
      if (fired >= options.pending) break;
    }
    const cpuMsPerFallback = ((daemon.cpuSeconds() - cpu0) * 1000) / Math.max(1, fired);
    const lastFireAfterLastDueSec = (Date.now() - lastDue) / 1000;
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
          const due = m && dueOf(m, withinMs);
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
      if (missing === 0 || tries >= 10) break;
      await sleep(3000);
    }
    const drainSec = (Date.now() - drainStart) / 1000;
    const rssPeakProcess = daemon.memory().peak;
    await daemon.stop();
    const filesEnd = { appended: appendedSince(dataDir, sizesBefore), hot: hotFiles(dataDir, { timeStringify: true }) };
    const fmt = (q: number) => quantile(h, q);
    return {
      pending: options.pending,
      via: options.via,
      submitted,
      seeded,
      startupSec,
      rssAtReady,
      pendingSeen,
      rssPendingIdle,
      heapUsedPendingIdle,
      rssPeakWhileFiring,
      rssPeakProcess,
      loopLagMaxMs,
      cpuMsPerFallback,
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
