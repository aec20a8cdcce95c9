/**
 * BENCHMARKS.md as a whole run writes it (bench/run.ts) and bench/render.ts writes it again from
 * that run's figures: the main report, each issue's section, and every section's target rows in
 * the one "Results against the targets" table.
 */
import { renderBridge, type BridgeSummary } from './bridge.js';
import { renderBurstMemory, type BurstMemory } from './burst-memory.js';
import type { ConsentSummary } from './consent.js';
import { renderKannel } from './kannel/report.js';
import type { KannelSummary } from './kannel/run.js';
import { renderReceipts, type ReceiptSummary } from './receipts.js';
import { renderReload, type ReloadSummary } from './reload.js';
import { renderConsent, renderConsentStdout } from './report-consent.js';
import { renderPostgresStdout } from './report-postgres.js';
import { withSectionTargets, type SectionMeta } from './report-sections.js';
import { renderMarkdown, renderStdout, type Summary } from './report.js';
import { renderSns, type SnsSummary } from './sns.js';
import { renderStartup, type StartupSummary } from './startup.js';

export type WholeSummary = Summary & {
  consent?: ConsentSummary;
  bridge?: BridgeSummary;
  sns?: SnsSummary;
  kannel?: KannelSummary;
  startup?: StartupSummary;
  burst?: BurstMemory;
  reload?: ReloadSummary;
  receipts?: ReceiptSummary;
};

/** How the issue 14 sections run alone and what each measures, kept in the generated file. */
const ISSUE14_HOW = [
  'Each of these runs alone too, and a whole `npm run bench` writes them all here:',
  '',
  '```sh',
  'npm run bench -- --only startup    # BENCH_RETAINED=500000 BENCH_PENDING=100000 BENCH_STARTUP_RUNS=3; writes .bench/startup.md',
  'npm run bench -- --only burst      # BENCH_BURST=100000 BENCH_BURST_SETTLE=10; writes .bench/burst.md',
  'npm run bench -- --only reload     # BENCH_RELOAD_ROUTES=1000 BENCH_RELOAD_RATE=500 BENCH_RELOAD_EVERY=1000; writes .bench/reload.md',
  'npm run bench -- --only receipts   # BENCH_RECEIPT_MESSAGES=20000, BENCH_ROUNDS alternating rounds; writes .bench/receipts.md',
  '```',
  '',
  '- **Start-up** (bench/startup.ts): time from spawn to `/-/ready` and RSS at that moment, on a store seeded with 500,000 delivered messages over 30 days and 100,000 pending fallbacks (target ≤ 1 s, ≤ 250 MiB). **Heap per pending fallback**: live heap (`nodejs_heap_size_used_bytes` right after two full collections — the daemon runs with `--expose-gc` and bench/gc-on-signal.mjs, SIGUSR2) with 100,000 pending minus that on an empty store, ÷ 100,000 (target ≤ 300 B).',
  '- **RSS after a burst** (bench/burst-memory.ts): the issue asks that it "returns near the live heap"; it gives no number, so the readings are reported as measured.',
  '- **Sends during reloads** (bench/reload.ts): p99 send latency with a 1,000-route file reloaded every second ÷ without (target ≤ 2).',
  '- **Receipts** (bench/receipts.ts): webhook receipts/s on the mock provider\'s status webhook ÷ bare Koa answering the same bodies (target ≥ 0.4), for messages whose attempts are open; then the daemon restarts on the same store and takes receipts for older messages, nothing cached.',
  '- **Timer lag p99 with 100,000 pending** and **accepts ÷ Koa with receipts** are the "Fallback timers" and "Accept throughput" sections above; **accepts ÷ Koa on the accept path alone** (no receipts) is a row of the Kannel section.',
  '',
  'A change worth a few per cent is lost in this machine\'s noise between rounds. `npm run bench:ab -- <rev-a> <rev-b> [accepts|receipts] [rounds]` (bench/ab.ts) runs a daemon of each build at the same moments under the same load and prints B ÷ A per round; two builds of one commit give 0.96–1.04 here. It writes nothing to this file.',
  '',
];

/** The file, and what the console gets. */
export function renderWhole(s: WholeSummary): { markdown: string; stdout: string } {
  const m = s.machine;
  const meta: SectionMeta = { date: m.date, commit: m.commit, loadAvgStart: m.loadAvg, loadAvgEnd: m.loadAvgEnd, whole: true };
  const issue14 = s.startup || s.burst || s.reload || s.receipts
    ? ['## Issue 14 — start-up, memory, reloads and receipts', '', ...ISSUE14_HOW, ...(s.startup ? renderStartup(s.startup) : []), ...(s.burst ? renderBurstMemory(s.burst) : []), ...(s.reload ? renderReload(s.reload) : []), ...(s.receipts ? renderReceipts(s.receipts) : [])].join('\n')
    : '';
  const issues = [s.bridge ? renderBridge(s.bridge, meta) : '', s.sns ? renderSns(s.sns, meta) : '', s.kannel ? renderKannel(s.kannel, meta) : '', issue14].filter((x) => x !== '');
  return {
    markdown: withSectionTargets(renderMarkdown(s), [...(s.consent ? [renderConsent(s.consent).join('\n')] : []), ...issues]),
    stdout: [renderStdout(s), renderPostgresStdout(s), s.consent ? renderConsentStdout(s.consent) : '', ...issues].join('\n'),
  };
}
