/**
 * Fallback-timer lag with N pending timers: the store is seeded with N messages whose WhatsApp
 * step waits (`within`) are pending, the daemon starts on it, and the timers fire over a window.
 * Lag is read twice: from the daemon's own histogram, and exactly from each sampled message's
 * history (when its step timed out, and when the SMS fallback went out, against the due time).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { newestPartition } from './accepts.js';
import { join } from 'node:path';
import { API_KEY, writeConfig } from './config.js';
import { measureAccepts, type LoadResult } from './load.js';
import { gauge, histogram, percentile, quantile, scrape } from './metrics.js';
import { freePort, startChild } from './procs.js';
import { seedPending } from './seed.js';

export interface TimerResult {
  pending: number;
  seedBytes: number;
  startupSec: number;
  pendingSeen: number;
  rssPendingIdle: number;
  rssPeakWhileFiring: number;
  rssPeakProcess: number;
  acceptsWithPending?: LoadResult;
  histogram: { count: number; p50: { value: number; lower: number; upper: number }; p99: { value: number; lower: number; upper: number }; max: number };
  sample: { size: number; missing: number; fireP50: number; fireP99: number; fireMax: number; sendP50: number; sendP99: number; sendMax: number };
  firingWindowSec: number;
  withinSec: number;
  drainSec: number;
  lastFireAfterLastDueSec: number;
  /** What one group commit has to serialize at the end of the phase, timed in the bench process. */
  commitCost?: { hourFileBytes: number; hourStringifyMs: number; hotFileBytes: number; hotStringifyMs: number };
}

/** Times `JSON.stringify` of a store file, as `DurableJSONFile.write` does on every flush (best of 3). */
function stringifyCost(file: string): { bytes: number; ms: number } {
  const data: unknown = JSON.parse(readFileSync(file, 'utf8'));
  let best = Infinity;
  let bytes = 0;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    bytes = JSON.stringify(data).length;
    best = Math.min(best, performance.now() - t);
  }
  return { bytes, ms: best };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Hist { at: string; event: string; step?: number }
interface Msg { id: string; history: Hist[] }

async function fetchMessage(port: number, id: string): Promise<Msg | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/messages/${id}`, { headers: { 'x-api-key': API_KEY }, signal: AbortSignal.timeout(60_000) });
  return res.ok ? ((await res.json()) as Msg) : undefined;
}

export async function runTimerLag(options: {
  dir: string;
  daemon: { cmd: string; args: string[] };
  pending: number;
  /** Arrivals of the seeded messages are spread over this window, so their timers fire over it too. */
  spreadMs: number;
  /** Margin between seeding and the first due timer, for the daemon to start. */
  startMarginMs: number;
  sampleSize: number;
  acceptProbe?: { connections: number; durationSec: number };
  log: (line: string) => void;
}): Promise<TimerResult> {
  const { dir, log } = options;
  mkdirSync(dir, { recursive: true });
  const withinMs = options.spreadMs + options.startMarginMs;
  const now = Date.now();
  log(`timers: seeding ${options.pending} pending fallbacks (within ${withinMs / 1000}s, due over ${options.spreadMs / 1000}s)`);
  const seed = seedPending(join(dir, 'data'), options.pending, { now, spreadMs: options.spreadMs, withinMs });
  const dues = [...seed.due.values()];
  const firstDue = Math.min(...dues);
  const lastDue = Math.max(...dues);

  const port = await freePort();
  const config = writeConfig(dir, { port, dataDir: join(dir, 'data'), scenario: 'fallback', within: `${withinMs / 1000}s` });
  const t0 = Date.now();
  const daemon = await startChild({ name: 'daemon-timers', cmd: options.daemon.cmd, args: [...options.daemon.args, 'start', '--config', config], cwd: dir, port, readyPath: '/-/ready', logFile: join(dir, 'daemon.log'), readyTimeoutMs: 300_000 });
  const startupSec = (Date.now() - t0) / 1000;
  log(`timers: daemon ready in ${startupSec.toFixed(1)} s; first timer due in ${((firstDue - Date.now()) / 1000).toFixed(1)} s`);
  if (Date.now() > firstDue) log('timers: WARNING the daemon started after the first timer was due; those fire overdue');

  try {
    const text = await scrape(port);
    const pendingSeen = gauge(text, 'switchboard_scheduler_pending_timers') ?? NaN;
    await sleep(2000);
    const rssPendingIdle = daemon.memory().rss;
    log(`timers: ${pendingSeen} pending, RSS ${(rssPendingIdle / 2 ** 20).toFixed(0)} MiB`);

    let acceptsWithPending: LoadResult | undefined;
    if (options.acceptProbe && firstDue - Date.now() > options.acceptProbe.durationSec * 1000 + 15_000) {
      acceptsWithPending = await measureAccepts(port, { connections: options.acceptProbe.connections, warmupSec: 0, durationSec: options.acceptProbe.durationSec });
      log(`timers: accepts with ${pendingSeen} pending: ${acceptsWithPending.acceptsPerSec.toFixed(0)}/s`);
    }

    // Watch RSS while the timers fire; done when the histogram has counted every seeded timer.
    let rssPeakWhileFiring = 0;
    let fired = 0;
    const giveUp = lastDue + 300_000;
    while (Date.now() < giveUp) {
      await sleep(1000);
      const m = daemon.memory();
      if (Date.now() >= firstDue) rssPeakWhileFiring = Math.max(rssPeakWhileFiring, m.rss);
      fired = histogram(await scrape(port), 'switchboard_scheduler_lag_seconds', { kind: 'step-timeout' }).count;
      if (fired >= options.pending) break;
    }
    const lastFireAfterLastDueSec = (Date.now() - lastDue) / 1000;
    log(`timers: ${fired} fired; the histogram reached the last one ≤ ${lastFireAfterLastDueSec.toFixed(1)} s after the last due time`);
    const metricsText = await scrape(port);
    const h = histogram(metricsText, 'switchboard_scheduler_lag_seconds', { kind: 'step-timeout' });

    // Exact lags from a sample of message histories (fetched once the fallbacks have gone out).
    const ids = [...seed.due.keys()];
    const sample = Array.from({ length: Math.min(options.sampleSize, ids.length) }, (_, i) => ids[Math.floor((i * ids.length) / options.sampleSize)]);
    const fireLags: number[] = [];
    const sendLags: number[] = [];
    let missing = 0;
    const drainStart = Date.now();
    for (let tries = 0; ; tries++) {
      fireLags.length = 0;
      sendLags.length = 0;
      missing = 0;
      let maxEvent = 0;
      for (let i = 0; i < sample.length; i += 20) {
        const got = await Promise.all(sample.slice(i, i + 20).map((id) => fetchMessage(port, id)));
        for (const m of got) {
          if (!m) {
            missing += 1;
            continue;
          }
          const due = seed.due.get(m.id)!;
          const timedOut = m.history.find((e) => e.event === 'step_timed_out' && e.step === 0);
          const sent = m.history.find((e) => e.event === 'attempt_sent' && e.step === 1);
          if (!timedOut || !sent) {
            missing += 1;
            continue;
          }
          fireLags.push(Date.parse(timedOut.at) - due);
          sendLags.push(Date.parse(sent.at) - due);
          maxEvent = Math.max(maxEvent, Date.parse(sent.at));
        }
      }
      if (missing === 0 || tries >= 10) break;
      await sleep(3000);
    }
    const drainSec = (Date.now() - drainStart) / 1000;
    const rssPeakProcess = daemon.memory().peak;
    const fmt = (q: number) => quantile(h, q);
    return {
      pending: options.pending,
      seedBytes: seed.bytes,
      startupSec,
      pendingSeen,
      rssPendingIdle,
      rssPeakWhileFiring,
      rssPeakProcess,
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
      drainSec,
      lastFireAfterLastDueSec,
    };
  } finally {
    await daemon.stop();
  }
}

/** After the phase: how much one commit serializes, from the files the daemon left. */
export function measureCommitCost(dataDir: string): TimerResult['commitCost'] {
  const hour = newestPartition(dataDir);
  if (!hour) return undefined;
  const h = stringifyCost(hour.file);
  const hot = stringifyCost(join(dataDir, 'state.json'));
  return { hourFileBytes: h.bytes, hourStringifyMs: h.ms, hotFileBytes: hot.bytes, hotStringifyMs: hot.ms };
}
