/**
 * `npm run bench`: in one run, measures durable accepts/s against a bare Koa baseline (empty store
 * and with retained history), fallback-timer lag and RSS with many pending timers, then writes
 * BENCHMARKS.md. Children and temp data are removed however the run ends.
 *
 * Settings (environment): BENCH_ROUNDS=3 BENCH_CONNECTIONS=50 BENCH_WARMUP=2 BENCH_DURATION=10
 * BENCH_RETAINED=500000 BENCH_PENDING=100000 BENCH_SPREAD=60 (s over which the pending messages
 * arrive and later come due) BENCH_MARGIN=45 (s from the last arrival to the first due time)
 * BENCH_PENDING_VIA=auto|api|seed (auto: through the API if the empty-store daemon accepted at least
 * the needed rate, else seeded) BENCH_PROFILE=1 (0: skip the profiled run) BENCH_DAEMON_FLAGS
 * (node flags for every daemon, after the ones `npm start` gives, e.g. `--trace-gc`) BENCH_KEEP=1
 * (keep temp data) BENCH_OUT=BENCHMARKS.md. `npx tsx bench/render.ts` re-renders the file from the last
 * run's figures (.bench/last-run.json).
 *
 * PostgreSQL (a throwaway cluster from test/helpers/postgres.ts): accepts on one daemon and on two
 * sharing a database, in the same rounds as the file store; fallback-timer lag with
 * BENCH_PG_PENDING=100000 pending, due evenly over BENCH_PG_SPREAD=600 s from BENCH_PG_MARGIN=15 s
 * after they are written, of which the first BENCH_PG_WATCH=30 s are watched
 * (BENCH_PG_PENDING_VIA=auto|api|seed; auto: seeded into the tables when only part of the spread
 * is watched, else through the API if the one-daemon median accepted 1,000/s; BENCH_PG_GIVE_UP=240 s after the last watched due time at
 * most); takeover of a killed instance's timers with BENCH_LEASE=2s and
 * BENCH_TAKEOVER_MESSAGES=100, repeated BENCH_TAKEOVER_RUNS=3 times. `npm run bench -- --only
 * postgres` (or BENCH_ONLY=postgres) runs only these, with file-store runs in the same rounds for
 * the ratio, and writes .bench/postgres.md (BENCH_OUT to choose) and .bench/last-postgres.json
 * instead of BENCHMARKS.md.
 *
 * WhatsApp consent (bench/consent.ts): BENCH_CONSENT_USERS=10000 held messages released by their
 * replies paced at BENCH_CONSENT_REPLY_RATE=200/s; inbound webhook throughput with and without a
 * consent policy in BENCH_CONSENT_ROUNDS (default BENCH_ROUNDS) alternating rounds; heap per window
 * with BENCH_WINDOWS=1000000 windows. `npm run bench -- --only consent` runs only these and writes
 * .bench/consent.md (BENCH_OUT to choose) and .bench/last-consent.json instead of BENCHMARKS.md.
 *
 * Bridge (bench/bridge.ts, `--only bridge`): customer webhooks delivered to a fake Avaya and agent
 * events sent to the provider, each ÷ the plain inbound webhook, in BENCH_ROUNDS rounds; webhook ack →
 * Avaya latency at BENCH_BRIDGE_PACE=100/s for BENCH_BRIDGE_PACED=2000 messages. Writes .bench/bridge.md.
 *
 * SNS (bench/sns.ts, `--only sns`): signed SNS notifications verified and ingested per second ÷ the
 * mock plugin's status webhook, BENCH_ROUNDS rounds of at most 5 s; BENCH_SNS_SIGNED=75000 envelopes
 * are signed first. Writes .bench/sns.md.
 *
 * A whole run measures every section below and above, the bridge and SNS included, and writes them
 * all into BENCHMARKS.md, each section's verdicts gathered in its one results table.
 *
 * Kannel (bench/kannel/, `--only kannel`, issue 14): when Debian's kannel and kannel-extras are
 * installed, accepts/s on a route whose provider does not answer ÷ Kannel sendsms/s and ÷ bare Koa,
 * and BENCH_KANNEL_MESSAGES=20000 messages end to end to the provider, Kannel's time ÷ ours (cold
 * from a fresh start, then warm in the same processes), with fsync and (with Debian's eatmydata
 * installed) without, and accepts with Kannel and Switchboard each pinned to one core (taskset), in
 * BENCH_ROUNDS alternating rounds; one line says it was skipped otherwise. Writes .bench/kannel.md.
 *
 * Fallback timers alone (`--only timers`): the file store's timer phase (100k pending written into
 * the store, then fired) without the accept rounds; writes .bench/timers.md.
 * Start-up (bench/startup.ts, `--only startup`, issue 14): time to ready and RSS at ready on a store
 * with BENCH_RETAINED retained + BENCH_PENDING pending, and the live heap per pending fallback,
 * BENCH_STARTUP_RUNS=3 runs each. Writes .bench/startup.md.
 *
 * RSS after a burst (bench/burst-memory.ts, `--only burst`, issue 14): RSS and live heap of a fresh
 * daemon at ready and BENCH_BURST_SETTLE=10 s after BENCH_BURST=100000 messages sent as fast as it
 * takes them are all delivered. Writes .bench/burst.md.
 *
 * Sends during reloads (bench/reload.ts, `--only reload`, issue 14): p99 send latency at
 * BENCH_RELOAD_RATE=500/s with a BENCH_RELOAD_ROUTES=1000-route file reloaded every
 * BENCH_RELOAD_EVERY=1000 ms ÷ without reloads, BENCH_RELOAD_DURATION=10 s each, BENCH_ROUNDS rounds.
 * Writes .bench/reload.md.
 *
 * Receipts (bench/receipts.ts, `--only receipts`, issue 14): webhook receipts/s ÷ bare Koa, and
 * after a restart (longest gap between answers), BENCH_RECEIPT_MESSAGES=20000 receipts per phase
 * in BENCH_ROUNDS alternating rounds. Writes .bench/receipts.md.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAccepts, type AcceptRun, type FailedRun, type Target } from './accepts.js';
import { startBenchCluster, type BenchCluster } from './postgres.js';
import { runTakeover, type TakeoverResult } from './takeover.js';
import { profileAccepts, type ProfileSummary } from './profile.js';
import { renderSns, runSnsBench, type SnsSummary } from './sns.js';
import { buildDaemon, daemonNodeFlags, onCleanup, ROOT, WORK } from './procs.js';
import { median, renderTimers, type PostgresSummary, type Summary } from './report.js';
import { renderPostgresOnly, renderPostgresStdout } from './report-postgres.js';
import { seedRetained } from './seed.js';
import { runTimerLag, type TimerResult } from './timers.js';
import { runConsentBench, type ConsentSummary } from './consent.js';
import { renderBridge, runBridgeBench, type BridgeSummary } from './bridge.js';
import { runKannelBench, type KannelSummary } from './kannel/run.js';
import { renderKannel } from './kannel/report.js';
import { renderStartup, runStartupBench, type StartupSummary } from './startup.js';
import { renderBurstMemory, runBurstMemory, type BurstMemory } from './burst-memory.js';
import { renderReload, runReloadBench, type ReloadSummary } from './reload.js';
import { renderReceipts, runReceiptBench, type ReceiptSummary } from './receipts.js';
import { renderConsentOnly, renderConsentStdout } from './report-consent.js';
import type { SectionMeta } from './report-sections.js';
import { renderWhole, type WholeSummary } from './report-whole.js';

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
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : process.env.BENCH_ONLY || undefined;
const ONLY = ['postgres', 'consent', 'bridge', 'sns', 'kannel', 'startup', 'receipts', 'burst', 'reload', 'timers'];
if (only !== undefined && !ONLY.includes(only)) throw new Error(`--only ${only}: only ${ONLY.map((o) => `"${o}"`).join(', ')} are known`);
const pgSettings = {
  pending: env('BENCH_PG_PENDING', settings.pending),
  spreadSec: env('BENCH_PG_SPREAD', 600),
  watchSec: env('BENCH_PG_WATCH', 30),
  marginSec: env('BENCH_PG_MARGIN', 15),
  via: process.env.BENCH_PG_PENDING_VIA ?? 'auto',
  lease: process.env.BENCH_LEASE ?? '2s',
  takeoverMessages: env('BENCH_TAKEOVER_MESSAGES', 100),
  takeoverRuns: env('BENCH_TAKEOVER_RUNS', 3),
};
const consentSettings = {
  users: env('BENCH_CONSENT_USERS', 10_000),
  replyRate: env('BENCH_CONSENT_REPLY_RATE', 200),
  connections: settings.connections,
  rounds: env('BENCH_CONSENT_ROUNDS', settings.rounds),
  warmupSec: settings.warmupSec,
  durationSec: settings.durationSec,
  windows: env('BENCH_WINDOWS', 1_000_000),
};
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

log('bundling the daemon (scripts/bundle.mjs → .bench/build)');
const daemon = buildDaemon();
machine.daemonBuild = `${daemon.compiled ? 'the bundle of `npm run build` (scripts/bundle.mjs)' : 'TypeScript sources through tsx (the bundle failed)'}, run as \`npm start\` runs it: \`node ${daemonNodeFlags().join(' ')}\``;

if (only === 'consent') {
  const consent = await runConsentBench({ dir: join(runDir, 'consent'), daemon, settings: consentSettings, log });
  const end = { ...machine, loadAvgEnd: loadavg().map((x) => x.toFixed(2)).join(' '), totalSec: (Date.now() - started) / 1000 };
  const out = process.env.BENCH_OUT ? join(ROOT, process.env.BENCH_OUT) : join(WORK, 'consent.md');
  writeFileSync(join(WORK, 'last-consent.json'), JSON.stringify({ machine: end, consent }, null, 2));
  writeFileSync(out, renderConsentOnly(consent, end));
  process.stdout.write(`${renderConsentStdout(consent)}\n\nwrote ${out}\n`);
  process.exit(0);
}

/** A section run alone (`--only`): its load average at the end is read when it is rendered. */
const sectionMeta = (): SectionMeta => ({ date: machine.date, commit: machine.commit, loadAvgStart: machine.loadAvg, loadAvgEnd: loadavg().map((x) => x.toFixed(2)).join(' ') });

const snsSettings = { rounds: settings.rounds, connections: settings.connections, durationSec: Math.min(settings.durationSec, 5), signed: env('BENCH_SNS_SIGNED', 75000) };
if (only === 'sns') {
  const sns = await runSnsBench({ dir: join(runDir, 'sns'), daemon, log, ...snsSettings });
  const out = process.env.BENCH_OUT ? join(ROOT, process.env.BENCH_OUT) : join(WORK, 'sns.md');
  const rendered = renderSns(sns, sectionMeta());
  writeFileSync(join(WORK, 'last-sns.json'), JSON.stringify({ machine, sns }, null, 2));
  writeFileSync(out, rendered);
  process.stdout.write(`${rendered}\nwrote ${out}\n`);
  process.exit(0);
}

const kannelSettings = { rounds: settings.rounds, connections: settings.connections, warmupSec: settings.warmupSec, durationSec: settings.durationSec, messages: env('BENCH_KANNEL_MESSAGES', 20_000) };
if (only === 'kannel') {
  const kannel = await runKannelBench({ dir: join(runDir, 'kannel'), daemon, log, ...kannelSettings });
  const out = process.env.BENCH_OUT ? join(ROOT, process.env.BENCH_OUT) : join(WORK, 'kannel.md');
  const rendered = renderKannel(kannel, sectionMeta());
  writeFileSync(join(WORK, 'last-kannel.json'), JSON.stringify({ machine, kannel }, null, 2));
  writeFileSync(out, rendered);
  process.stdout.write(`${rendered}\nwrote ${out}\n`);
  process.exit(0);
}

/** An issue 14 section run alone (`--only startup|receipts`): its own file, its raw figures beside it, then exit. */
function writeOnlySection(name: string, figures: unknown, lines: string[]): never {
  const out = process.env.BENCH_OUT ? join(ROOT, process.env.BENCH_OUT) : join(WORK, `${name}.md`);
  const rendered = [`_\`npm run bench -- --only ${name}\` on ${machine.date} against \`${machine.commit}\`; load average ${machine.loadAvg} at the start, ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the end._`, '', ...lines].join('\n');
  writeFileSync(join(WORK, `last-${name}.json`), JSON.stringify({ machine, [name]: figures }, null, 2));
  writeFileSync(out, rendered);
  process.stdout.write(`${rendered}\nwrote ${out}\n`);
  process.exit(0);
}

// The file store's fallback-timer phase alone (issue 7 and 14's lag target): the pending are written
// into the store (BENCH_PENDING_VIA=api submits them instead), with no accept rounds before.
if (only === 'timers') {
  const via = pendingVia === 'api' ? 'api' : 'seed';
  const timers = await runTimerLag({
    dir: join(runDir, 'timers'), daemon, pending: settings.pending, via,
    spreadMs: settings.spreadSec * 1000, marginMs: settings.marginSec * 1000,
    sampleSize: 1000, connections: settings.connections, acceptProbe: { durationSec: 10 }, log,
  });
  const s = { machine, runs: [], settings: { connections: settings.connections, neededRate: settings.pending / settings.spreadSec } } as unknown as Summary;
  writeOnlySection('timers', timers, renderTimers(s, timers));
}

const startupSettings = { retained: settings.retained, pending: settings.pending, runs: env('BENCH_STARTUP_RUNS', 3), receiptIndexMs: RECEIPT_INDEX_MS };
if (only === 'startup') {
  const startup = await runStartupBench({ dir: join(runDir, 'startup'), daemon, log, ...startupSettings });
  writeOnlySection('startup', startup, renderStartup(startup));
}

const reloadSettings = { routes: env('BENCH_RELOAD_ROUTES', 1000), ratePerSec: env('BENCH_RELOAD_RATE', 500), durationSec: env('BENCH_RELOAD_DURATION', 10), everyMs: env('BENCH_RELOAD_EVERY', 1000), rounds: settings.rounds };
if (only === 'reload') {
  const reload = await runReloadBench({ dir: join(runDir, 'reload'), daemon, log, ...reloadSettings });
  writeOnlySection('reload', reload, renderReload(reload));
}

const burstSettings = { amount: env('BENCH_BURST', 100_000), settleSec: env('BENCH_BURST_SETTLE', 10) };
if (only === 'burst') {
  const burst = await runBurstMemory({ dir: join(runDir, 'burst'), daemon, log, ...burstSettings });
  writeOnlySection('burst', burst, renderBurstMemory(burst));
}

const receiptSettings = { rounds: settings.rounds, connections: settings.connections, messages: env('BENCH_RECEIPT_MESSAGES', 20_000) };
if (only === 'receipts') {
  const receipts = await runReceiptBench({ dir: join(runDir, 'receipts'), daemon, log, ...receiptSettings });
  writeOnlySection('receipts', receipts, renderReceipts(receipts));
}

const bridgeSettings = { rounds: settings.rounds, connections: settings.connections, durationSec: settings.durationSec, paceRate: env('BENCH_BRIDGE_PACE', 100), paceCount: env('BENCH_BRIDGE_PACED', 2000) };
if (only === 'bridge') {
  const bridge = await runBridgeBench({ dir: join(runDir, 'bridge'), daemon, log, ...bridgeSettings });
  const out = process.env.BENCH_OUT ? join(ROOT, process.env.BENCH_OUT) : join(WORK, 'bridge.md');
  const rendered = renderBridge(bridge, sectionMeta());
  writeFileSync(join(WORK, 'last-bridge.json'), JSON.stringify({ machine, bridge }, null, 2));
  writeFileSync(out, rendered);
  process.stdout.write(`${rendered}\nwrote ${out}\n`);
  process.exit(0);
}

log('postgres: starting a throwaway cluster (test/helpers/postgres.ts)');
let cluster: BenchCluster | undefined;
let clusterError: string | undefined;
try {
  cluster = await startBenchCluster();
  log(`postgres: ${cluster.version}; fsync=${cluster.settings.fsync} synchronous_commit=${cluster.settings.synchronous_commit} full_page_writes=${cluster.settings.full_page_writes}`);
} catch (err) {
  clusterError = (err as Error).message.split('\n')[0];
  log(`postgres: cannot start: ${clusterError}`);
}

let seeded: Summary['settings']['seed'] = { bytes: 0, segments: 0, lines: 0, fullHistory: 0 };
let seedSec = 0;
const seedDir = join(runDir, 'seed-retained');
if (!only) {
  log(`seeding ${settings.retained.toLocaleString('en-US')} delivered messages over 30 days`);
  const seedStart = Date.now();
  seeded = seedRetained(seedDir, settings.retained, 30, Date.now(), RECEIPT_INDEX_MS);
  seedSec = (Date.now() - seedStart) / 1000;
  log(`seeded ${(seeded.bytes / 1e6).toFixed(0)} MB, ${seeded.lines} lines in ${seeded.segments} hourly segments (${seedSec.toFixed(0)} s)`);
}

const runs: AcceptRun[] = [];
const failed: FailedRun[] = [];
const pgTargets: Target[] = cluster ? ['postgres', 'postgres-2'] : [];
const first: Target[] = only ? ['empty', ...pgTargets] : ['baseline', 'empty', 'retained', ...pgTargets];
const orders: Target[][] = [first, [...first].reverse()];
for (let round = 1; round <= settings.rounds; round++) {
  for (const target of orders[(round - 1) % orders.length]) {
    const dir = join(runDir, `r${round}-${target}`);
    try {
      const r = await runAccepts({
        target, round, daemon, retainedSeed: seedDir, dir, postgres: cluster,
        load: { connections: settings.connections, warmupSec: settings.warmupSec, durationSec: settings.durationSec },
      });
      runs.push(r);
      log(`round ${round} ${target.padEnd(10)} ${r.acceptsPerSec.toFixed(0).padStart(6)} req/s  p99 ${r.latencyP99Ms} ms  non2xx ${r.non2xx} errors ${r.errors}  RSS ${(r.rssAfter / 2 ** 20).toFixed(0)} MiB  startup ${r.startupSec.toFixed(1)} s${r.pgCpuMsPerRequest === undefined ? '' : `  CPU/req daemon ${r.cpuMsPerRequest.toFixed(2)} ms, PostgreSQL ${r.pgCpuMsPerRequest.toFixed(2)} ms`}`);
    } catch (err) {
      if (target !== 'postgres' && target !== 'postgres-2') throw err;
      failed.push({ target, round, error: (err as Error).message });
      log(`round ${round} ${target.padEnd(10)} not measured: ${(err as Error).message}`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
rmSync(seedDir, { recursive: true, force: true });

let profile: ProfileSummary | undefined;
if (settings.profile && !only) {
  try {
    log('profile: a separate empty-store daemon under node --cpu-prof, same load');
    profile = await profileAccepts({ dir: join(runDir, 'profile'), daemon, load: { connections: settings.connections, warmupSec: settings.warmupSec, durationSec: settings.durationSec } });
    log(`profile: ${profile.load.acceptsPerSec.toFixed(0)} req/s while profiled; ${(profile.busy * 100).toFixed(0)} % of samples busy`);
  } catch (err) {
    log(`profile failed: ${(err as Error).message}`);
  }
  rmSync(join(runDir, 'profile'), { recursive: true, force: true });
}

// Where a daemon on PostgreSQL spends its CPU: alone, and beside a second daemon on the same database.
const pgProfiles: { one?: ProfileSummary; two?: ProfileSummary } = {};
if (settings.profile && cluster) {
  for (const which of ['one', 'two'] as const) {
    try {
      log(`profile: a daemon on PostgreSQL under node --cpu-prof${which === 'two' ? ', beside a second daemon on the same database' : ''}`);
      const p = await profileAccepts({ dir: join(runDir, `profile-pg-${which}`), daemon, load: { connections: settings.connections, warmupSec: settings.warmupSec, durationSec: settings.durationSec }, postgres: { url: await cluster.database(), second: which === 'two' } });
      pgProfiles[which] = p;
      log(`profile: ${p.load.acceptsPerSec.toFixed(0)} req/s by the profiled daemon; ${(p.busy * 100).toFixed(0)} % of samples busy`);
    } catch (err) {
      log(`profile on PostgreSQL (${which}) failed: ${(err as Error).message}`);
    }
    rmSync(join(runDir, `profile-pg-${which}`), { recursive: true, force: true });
  }
}

// The pending fallbacks go through the API when the daemon accepts fast enough to submit them all
// within the spread window (with room to spare); otherwise they are written into the store.
const neededRate = settings.pending / settings.spreadSec;
const emptyRate = median(runs.filter((r) => r.target === 'empty').map((r) => r.acceptsPerSec));
const chooseVia = (setting: string, rate: number, needed: number): 'api' | 'seed' => (setting === 'api' || setting === 'seed' ? setting : rate >= Math.max(1000, 1.2 * needed) ? 'api' : 'seed');
const via = chooseVia(pendingVia, emptyRate, neededRate);
let timers: TimerResult | undefined;
let timerError: string | undefined;
if (!only) {
  log(`timers: pending fallbacks via ${via} (empty-store median ${emptyRate.toFixed(0)}/s; needed ${neededRate.toFixed(0)}/s)`);
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
}

let consent: ConsentSummary | undefined;
if (!only) consent = await runConsentBench({ dir: join(runDir, 'consent'), daemon, settings: consentSettings, log });

let startup: StartupSummary | undefined;
if (!only) startup = await runStartupBench({ dir: join(runDir, 'startup'), daemon, log, ...startupSettings });
let burst: BurstMemory | undefined;
if (!only) burst = await runBurstMemory({ dir: join(runDir, 'burst'), daemon, log, ...burstSettings });
let reload: ReloadSummary | undefined;
if (!only) reload = await runReloadBench({ dir: join(runDir, 'reload'), daemon, log, ...reloadSettings });

let receipts: ReceiptSummary | undefined;
if (!only) receipts = await runReceiptBench({ dir: join(runDir, 'receipts'), daemon, log, ...receiptSettings });

let kannel: KannelSummary | undefined;
if (!only) kannel = await runKannelBench({ dir: join(runDir, 'kannel'), daemon, log, ...kannelSettings });

// Issues 9 and 10: run alone with `--only bridge|sns`, and here as part of the whole.
let bridge: BridgeSummary | undefined;
if (!only) bridge = await runBridgeBench({ dir: join(runDir, 'bridge'), daemon, log, ...bridgeSettings });
let sns: SnsSummary | undefined;
if (!only) sns = await runSnsBench({ dir: join(runDir, 'sns'), daemon, log, ...snsSettings });

let postgres: PostgresSummary | undefined;
if (cluster || clusterError) {
  const pgNeeded = pgSettings.pending / pgSettings.spreadSec;
  const pgRate = median(runs.filter((r) => r.target === 'postgres').map((r) => r.acceptsPerSec));
  // Through the API the N take the whole spread to submit; with only part of it watched, seed them.
  const pgVia = pgSettings.via === 'auto' && pgSettings.watchSec < pgSettings.spreadSec ? 'seed' : chooseVia(pgSettings.via, pgRate, pgNeeded);
  postgres = { server: cluster ? { version: cluster.version, settings: cluster.settings } : undefined, error: clusterError, failed, pending: pgSettings.pending, pendingVia: pgVia, neededRate: pgNeeded, lease: pgSettings.lease, spreadSec: pgSettings.spreadSec, watchSec: pgSettings.watchSec, takeovers: [], profiles: pgProfiles };
  if (cluster) {
    log(`postgres timers: ${pgSettings.pending} pending fallbacks via ${pgVia} (one-daemon median ${pgRate.toFixed(0)}/s; needed ${pgNeeded.toFixed(0)}/s)`);
    try {
      postgres.timers = await runTimerLag({
        dir: join(runDir, 'pg-timers'), daemon, pending: pgSettings.pending, via: pgVia,
        spreadMs: pgSettings.spreadSec * 1000, marginMs: pgSettings.marginSec * 1000, watchMs: pgSettings.watchSec * 1000,
        sampleSize: 1000, connections: settings.connections, log,
        postgres: { url: await cluster.database(), cpuSeconds: cluster.cpuSeconds, query: cluster.query },
        giveUpAfterMs: env('BENCH_PG_GIVE_UP', 240) * 1000,
      });
    } catch (err) {
      postgres.timerError = (err as Error).message;
      log(`postgres timer phase failed: ${postgres.timerError}`);
    }
    for (let run = 1; run <= pgSettings.takeoverRuns; run++) {
      try {
        const t: TakeoverResult = await runTakeover({
          dir: join(runDir, `takeover-${run}`), daemon, lease: pgSettings.lease, leaseMs: parseDurationMs(pgSettings.lease),
          messages: pgSettings.takeoverMessages, log,
          postgres: { url: await cluster.database(), cpuSeconds: cluster.cpuSeconds, query: cluster.query },
        });
        postgres.takeovers.push(t);
        log(`takeover ${run}: ${t.fired} of ${t.heldAtKill} held timers fired by B; lease end → fired min ${t.fromExpiry.min} ms, p50 ${t.fromExpiry.p50} ms, max ${t.fromExpiry.max} ms; kill → fired max ${t.fromKill.max} ms`);
      } catch (err) {
        postgres.takeoverError = (err as Error).message;
        log(`takeover not measured: ${postgres.takeoverError}`);
        break;
      }
    }
    await cluster.stop();
  }
}

const summary: WholeSummary = {
  machine: { ...machine, loadAvgEnd: loadavg().map((x) => x.toFixed(2)).join(' ') },
  settings: { rounds: settings.rounds, connections: settings.connections, warmupSec: settings.warmupSec, durationSec: settings.durationSec, retained: settings.retained, seed: seeded, receiptIndexMs: RECEIPT_INDEX_MS, seedSec, pending: settings.pending, pendingVia: via, neededRate, totalSec: (Date.now() - started) / 1000, only },
  runs, timers, timerError, profile, postgres, consent, bridge, sns, kannel, startup, burst, reload, receipts,
};
if (only) {
  const out = process.env.BENCH_OUT ? join(ROOT, process.env.BENCH_OUT) : join(WORK, 'postgres.md');
  writeFileSync(join(WORK, 'last-postgres.json'), JSON.stringify(summary, null, 2));
  writeFileSync(out, renderPostgresOnly(summary));
  process.stdout.write(`${renderPostgresStdout(summary)}\n\nwrote ${out}\n`);
} else {
  const out = join(ROOT, process.env.BENCH_OUT ?? 'BENCHMARKS.md');
  writeFileSync(join(WORK, 'last-run.json'), JSON.stringify(summary, null, 2));
  const { markdown, stdout } = renderWhole(summary);
  writeFileSync(out, markdown);
  process.stdout.write(`${stdout}\n\nwrote ${out}\n`);
}
process.exit(0);

function parseDurationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (!m) throw new Error(`BENCH_LEASE=${text}: expected a duration like 2s or 1500ms`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
}
