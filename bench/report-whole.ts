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

/** The file, and what the console gets. */
export function renderWhole(s: WholeSummary): { markdown: string; stdout: string } {
  const m = s.machine;
  const meta: SectionMeta = { date: m.date, commit: m.commit, loadAvgStart: m.loadAvg, loadAvgEnd: m.loadAvgEnd, whole: true };
  const issue14 = s.startup || s.burst || s.reload || s.receipts
    ? ['## Issue 14 — start-up, memory, reloads and receipts', '', ...(s.startup ? renderStartup(s.startup) : []), ...(s.burst ? renderBurstMemory(s.burst) : []), ...(s.reload ? renderReload(s.reload) : []), ...(s.receipts ? renderReceipts(s.receipts) : [])].join('\n')
    : '';
  const issues = [s.bridge ? renderBridge(s.bridge, meta) : '', s.sns ? renderSns(s.sns, meta) : '', s.kannel ? renderKannel(s.kannel, meta) : '', issue14].filter((x) => x !== '');
  return {
    markdown: withSectionTargets(renderMarkdown(s), [...(s.consent ? [renderConsent(s.consent).join('\n')] : []), ...issues]),
    stdout: [renderStdout(s), renderPostgresStdout(s), s.consent ? renderConsentStdout(s.consent) : '', ...issues].join('\n'),
  };
}
