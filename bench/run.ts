/**
 * `npm run bench`: in one run, measures durable accepts/s against a bare Koa baseline (empty store
 * and with retained history), fallback-timer lag and RSS with many pending timers, then writes
 * BENCHMARKS.md. Children and temp data are removed however the run ends.
 *
 * Settings (environment): BENCH_ROUNDS=3 BENCH_CONNECTIONS=50 BENCH_WARMUP=2 BENCH_DURATION=10
 * BENCH_RETAINED=500000 BENCH_PENDING=100000 BENCH_SPREAD=60 (s over which the pending messages
 * arrive and later come due) BENCH_MARGIN=45 (s from the last arrival to the first due time)
 * BENCH_PENDING_VIA=auto|api|seed (auto: through the API if the empty-store daemon accepted at least
 * the needed rate, else seeded) BENCH_PROFILE=1 (0: skip the profiled run) BENCH_KEEP=1 (keep temp
 * data) BENCH_OUT=BENCHMARKS.md. `npx tsx bench/render.ts` re-renders the file from the last
 * run's figures (.bench/last-run.json).
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAccepts, type AcceptRun, type Target } from './accepts.js';
import { profileAccepts, type ProfileSummary } from './profile.js';
import { buildDaemon, onCleanup, ROOT, WORK } from './procs.js';
import { median, renderMarkdown, renderStdout, type Summary } from './report.js';
import { seedRetained } from './seed.js';
import { runTimerLag, type TimerResult } from './timers.js';

const env = (name: string, fallback: number) => {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : Number(v);
};
const settings = {
  rounds: env('BENCH_ROUNDS', 3),
  connections: env('BENCH_CONNECTIONS', 50),
  warmupSec: env('BENCH_WARMUP', 2),
  durationSec: env('BENCH_DURATION', 10),
  retained: env('BENCH_RETAINED', 500_000),
  pending: env('BENCH_PENDING', 100_000),
  spreadSec: env('BENCH_SPREAD', 60),
  marginSec: env('BENCH_MARGIN', 45),
  profile: env('BENCH_PROFILE', 1) !== 0,
};
const pendingVia = process.env.BENCH_PENDING_VIA ?? 'auto';
// Receipts find their attempt through an index rebuilt at start from this window (store.receiptIndex default).
const RECEIPT_INDEX_MS = 3 * 86_400_000;
const started = Date.now();
const log = (line: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

const runDir = join(WORK, `run-${process.pid}`);
mkdirSync(runDir, { recursive: true });
if (!process.env.BENCH_KEEP) onCleanup(() => rmSync(runDir, { recursive: true, force: true }));

const machine = {
  date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
  memGiB: totalmem() / 2 ** 30,
  node: process.version,
  kernel: release(),
  loadAvg: loadavg().map((x) => x.toFixed(2)).join(' '),
  daemonBuild: '',
  commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() || 'unknown',
  srcDirty: spawnSync('git', ['status', '--porcelain', '--', 'src', 'plugins'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() !== '',
};

log('building the daemon (tsc → .bench/build)');
const daemon = buildDaemon();
machine.daemonBuild = daemon.compiled ? 'compiled JavaScript (tsc), run with node' : 'TypeScript sources through tsx (tsc emitted nothing)';

log(`seeding ${settings.retained.toLocaleString('en-US')} delivered messages over 30 days`);
const seedDir = join(runDir, 'seed-retained');
const seedStart = Date.now();
const seeded = seedRetained(seedDir, settings.retained, 30, Date.now(), RECEIPT_INDEX_MS);
const seedSec = (Date.now() - seedStart) / 1000;
log(`seeded ${(seeded.bytes / 1e6).toFixed(0)} MB, ${seeded.lines} lines in ${seeded.segments} hourly segments (${seedSec.toFixed(0)} s)`);

const runs: AcceptRun[] = [];
const orders: Target[][] = [['baseline', 'empty', 'retained'], ['retained', 'empty', 'baseline']];
for (let round = 1; round <= settings.rounds; round++) {
  for (const target of orders[(round - 1) % orders.length]) {
    const r = await runAccepts({
      target, round, daemon, retainedSeed: seedDir,
      dir: join(runDir, `r${round}-${target}`),
      load: { connections: settings.connections, warmupSec: settings.warmupSec, durationSec: settings.durationSec },
    });
    runs.push(r);
    log(`round ${round} ${target.padEnd(8)} ${r.acceptsPerSec.toFixed(0).padStart(6)} req/s  p99 ${r.latencyP99Ms} ms  non2xx ${r.non2xx} errors ${r.errors}  RSS ${(r.rssAfter / 2 ** 20).toFixed(0)} MiB  startup ${r.startupSec.toFixed(1)} s`);
    rmSync(join(runDir, `r${round}-${target}`), { recursive: true, force: true });
  }
}
rmSync(seedDir, { recursive: true, force: true });

let profile: ProfileSummary | undefined;
if (settings.profile) {
  try {
    log('profile: a separate empty-store daemon under node --cpu-prof, same load');
    profile = await profileAccepts({ dir: join(runDir, 'profile'), daemon, load: { connections: settings.connections, warmupSec: settings.warmupSec, durationSec: settings.durationSec } });
    log(`profile: ${profile.load.acceptsPerSec.toFixed(0)} req/s while profiled; ${(profile.busy * 100).toFixed(0)} % of samples busy`);
  } catch (err) {
    log(`profile failed: ${(err as Error).message}`);
  }
  rmSync(join(runDir, 'profile'), { recursive: true, force: true });
}

// The pending fallbacks go through the API when the daemon accepts fast enough to submit them all
// within the spread window (with room to spare); otherwise they are written into the store.
const neededRate = settings.pending / settings.spreadSec;
const emptyRate = median(runs.filter((r) => r.target === 'empty').map((r) => r.acceptsPerSec));
const via: 'api' | 'seed' = pendingVia === 'api' || pendingVia === 'seed' ? pendingVia : emptyRate >= Math.max(1000, 1.2 * neededRate) ? 'api' : 'seed';
log(`timers: pending fallbacks via ${via} (empty-store median ${emptyRate.toFixed(0)}/s; needed ${neededRate.toFixed(0)}/s)`);
let timers: TimerResult | undefined;
let timerError: string | undefined;
try {
  timers = await runTimerLag({
    dir: join(runDir, 'timers'), daemon, pending: settings.pending, via,
    spreadMs: settings.spreadSec * 1000, marginMs: settings.marginSec * 1000,
    sampleSize: 1000, connections: settings.connections, acceptProbe: { durationSec: 10 }, log,
  });
} catch (err) {
  timerError = (err as Error).message;
  log(`timer phase failed: ${timerError}`);
}

const summary: Summary = {
  machine,
  settings: { rounds: settings.rounds, connections: settings.connections, warmupSec: settings.warmupSec, durationSec: settings.durationSec, retained: settings.retained, seed: seeded, receiptIndexMs: RECEIPT_INDEX_MS, seedSec, pending: settings.pending, pendingVia: via, neededRate, totalSec: (Date.now() - started) / 1000 },
  runs, timers, timerError, profile,
};
const out = join(ROOT, process.env.BENCH_OUT ?? 'BENCHMARKS.md');
writeFileSync(join(WORK, 'last-run.json'), JSON.stringify(summary, null, 2));
writeFileSync(out, renderMarkdown(summary));
process.stdout.write(`${renderStdout(summary)}\n\nwrote ${out}\n`);
process.exit(0);
