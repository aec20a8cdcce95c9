/**
 * Issue 14's start-up and memory targets. A daemon starts on a store seeded with `retained`
 * delivered messages and `pending` fallbacks (none due for an hour): time from spawn to
 * `/-/ready` answering (polled every 10 ms) and RSS at that moment. Heap per pending fallback:
 * the live heap (after two full collections a second after ready, bench/gc-on-signal.mjs) of a daemon on a store with
 * only the `pending` fallbacks, minus that of one on an empty store, ÷ `pending`. Each kind of
 * start runs `runs` times, in alternating order, on a fresh link copy of its seed.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeConfig } from './config.js';
import { gauge, scrape } from './metrics.js';
import { freePort, ROOT, startChild } from './procs.js';
import { median } from './report.js';
import { seedPending, seedRetainedWithPending } from './seed.js';
import { linkStore } from './storefiles.js';
import { SnapshotFile } from '../src/store/file/snapshot.js';
import { packTimer, revivePackedTimer, reviveTimer } from '../src/store/timer-record.js';

export type StartKind = 'retained+pending' | 'pending' | 'empty';

export interface StartupRun {
  kind: StartKind;
  run: number;
  readySec: number;
  rssAtReady: number;
  /** V8 heap in use after two full collections, once ready. */
  liveHeap: number;
  rssAfterGc: number;
  pendingSeen: number;
}

export interface StartupSummary {
  settings: { retained: number; pending: number; runs: number };
  seedSec: number;
  runs: StartupRun[];
  /** (live heap with the pending − live heap empty) ÷ pending, medians. */
  heapPerPending: number;
}

const HOUR = 3_600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startOnce(kind: StartKind, run: number, seed: string | undefined, dir: string, daemon: { cmd: string; args: string[] }): Promise<StartupRun> {
  mkdirSync(dir, { recursive: true });
  const dataDir = join(dir, 'data');
  if (seed) linkStore(seed, dataDir);
  const port = await freePort();
  const config = writeConfig(dir, { port, dataDir, scenario: 'fallback', within: '1h' });
  const t0 = Date.now();
  const d = await startChild({
    name: `startup-${kind}-${run}`, cmd: daemon.cmd, cwd: dir, port, readyPath: '/-/ready', logFile: join(dir, 'daemon.log'), readyTimeoutMs: 300_000,
    args: ['--expose-gc', '--import', join(ROOT, 'bench/gc-on-signal.mjs'), ...daemon.args, 'start', '--config', config],
  });
  try {
    const readySec = (Date.now() - t0) / 1000;
    const rssAtReady = d.memory().rss;
    // What a start leaves for after ready (the receipt index's lines) is done a second later; the
    // collections then leave the live heap, read right after them.
    await sleep(1000);
    process.kill(d.pid, 'SIGUSR2');
    await sleep(300);
    const text = await scrape(port);
    return { kind, run, readySec, rssAtReady, liveHeap: gauge(text, 'nodejs_heap_size_used_bytes') ?? NaN, rssAfterGc: d.memory().rss, pendingSeen: gauge(text, 'switchboard_scheduler_pending_timers') ?? NaN };
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * bench/seed.ts writes `state.json` as one JSON document, as stores did before snapshots were
 * written one entry a line; a daemon reads that too (an upgrade), but writes the new layout at its
 * first fold. Rewritten here through the daemon's own snapshot writer, so a start reads what a
 * running daemon leaves behind.
 */
async function asFoldedByTheDaemon(seedDir: string): Promise<void> {
  const asIs = (_key: string, value: unknown) => value;
  const file = new SnapshotFile(join(seedDir, 'state.json'), () => {}, (name) => (name === 'timers' ? packTimer : asIs), (name) => (name === 'timers' ? { revive: reviveTimer, packed: revivePackedTimer } : { revive: asIs }));
  const data = await file.read();
  if (data) await file.write(data);
}

export async function runStartupBench(o: { dir: string; daemon: { cmd: string; args: string[] }; log: (line: string) => void; retained: number; pending: number; runs: number; receiptIndexMs: number }): Promise<StartupSummary> {
  const full = join(o.dir, 'seed-full');
  const pendingOnly = join(o.dir, 'seed-pending');
  const t = Date.now();
  o.log(`startup: seeding ${o.retained.toLocaleString('en-US')} retained + ${o.pending.toLocaleString('en-US')} pending, and ${o.pending.toLocaleString('en-US')} pending alone`);
  const now = Date.now();
  seedRetainedWithPending(full, { retained: o.retained, days: 30, fullHistoryMs: o.receiptIndexMs, pending: o.pending, spreadMs: 60_000, withinMs: HOUR, now });
  seedPending(pendingOnly, o.pending, { now, spreadMs: 60_000, withinMs: HOUR });
  await asFoldedByTheDaemon(full);
  await asFoldedByTheDaemon(pendingOnly);
  const seedSec = (Date.now() - t) / 1000;
  o.log(`startup: seeded in ${seedSec.toFixed(0)} s`);
  const kinds: [StartKind, string | undefined][] = [['retained+pending', full], ['pending', pendingOnly], ['empty', undefined]];
  const runs: StartupRun[] = [];
  for (let run = 1; run <= o.runs; run++) {
    for (const [kind, seed] of run % 2 === 1 ? kinds : [...kinds].reverse()) {
      const r = await startOnce(kind, run, seed, join(o.dir, `run-${run}-${kind.replace('+', '-')}`), o.daemon);
      runs.push(r);
      o.log(`startup ${run} ${kind.padEnd(16)} ready ${r.readySec.toFixed(2)} s  RSS ${(r.rssAtReady / 2 ** 20).toFixed(0)} MiB  live heap ${(r.liveHeap / 2 ** 20).toFixed(1)} MiB  pending ${r.pendingSeen}`);
    }
  }
  rmSync(full, { recursive: true, force: true });
  rmSync(pendingOnly, { recursive: true, force: true });
  const heapOf = (k: StartKind) => median(runs.filter((r) => r.kind === k).map((r) => r.liveHeap));
  return { settings: { retained: o.retained, pending: o.pending, runs: o.runs }, seedSec, runs, heapPerPending: (heapOf('pending') - heapOf('empty')) / o.pending };
}

export function renderStartup(s: StartupSummary): string[] {
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const of = (k: StartKind) => s.runs.filter((r) => r.kind === k);
  const full = of('retained+pending');
  const ready = median(full.map((r) => r.readySec));
  const rss = median(full.map((r) => r.rssAtReady));
  const n = (x: number) => x.toLocaleString('en-US');
  const verdict = (ok: boolean) => (ok ? '**pass**' : '**FAIL**');
  return [
    '### Start-up and memory per pending fallback',
    '',
    `Each start is a fresh daemon on a link copy of its seed; ready = spawn → \`/-/ready\` answering (polled every 10 ms), RSS read at that moment. The seeds' \`state.json\` is rewritten by the daemon's own snapshot writer (one entry a line), as a running daemon folds it. Live heap: \`nodejs_heap_size_used_bytes\` right after two full collections a second after ready, once what a start leaves for after ready (the receipt index's lines) is done (the daemon runs with \`--expose-gc\` and bench/gc-on-signal.mjs). Medians of ${s.settings.runs} runs per kind, kinds alternating; seeding took ${s.seedSec.toFixed(0)} s.`,
    '',
    '| What | Measured | Target | Verdict |',
    '|---|---|---|---|',
    `| Start with ${n(s.settings.pending)} pending + ${n(s.settings.retained)} retained: time to ready | ${ready.toFixed(2)} s (runs ${full.map((r) => r.readySec.toFixed(2)).join(', ')}) | ≤ 1 s | ${verdict(ready <= 1)} |`,
    `| Same: RSS at ready | ${mib(rss)} (runs ${full.map((r) => mib(r.rssAtReady)).join(', ')}) | ≤ 250 MiB | ${verdict(rss <= 250 * 2 ** 20)} |`,
    `| Heap per pending fallback (live heap with ${n(s.settings.pending)} pending − empty store) ÷ ${n(s.settings.pending)} | ${s.heapPerPending.toFixed(0)} B | ≤ 300 B | ${verdict(s.heapPerPending <= 300)} |`,
    '',
    '| Run | Store | Ready | RSS at ready | Live heap | RSS after the collections | Pending timers seen |',
    '|---|---|---|---|---|---|---|',
    ...s.runs.map((r) => `| ${r.run} | ${r.kind} | ${r.readySec.toFixed(2)} s | ${mib(r.rssAtReady)} | ${(r.liveHeap / 2 ** 20).toFixed(1)} MiB | ${mib(r.rssAfterGc)} | ${n(r.pendingSeen)} |`),
    '',
  ];
}
