/**
 * The `## WhatsApp consent` section of BENCHMARKS.md (and `.bench/consent.md` for `--only
 * consent`), built from the run's own figures.
 */
import type { ConsentSummary } from './consent.js';
import { describeTally } from './logs.js';
import { median, mib, n0, r2, verdict, type Machine } from './report.js';

const ms = (x: number): string => (Number.isFinite(x) ? `${n0(x)} ms` : 'n/a');

function webhookFigures(c: ConsentSummary) {
  const perSec = (kind: 'consent' | 'plain') => c.webhook.filter((r) => r.kind === kind).map((r) => r.load.perSec);
  const withConsent = median(perSec('consent'));
  const plain = median(perSec('plain'));
  // Each round's own ratio too, to show how much the noise moves it.
  const rounds = [...new Set(c.webhook.map((r) => r.round))].map((round) => {
    const of = (kind: string) => c.webhook.find((r) => r.round === round && r.kind === kind)?.load.perSec ?? NaN;
    return of('consent') / of('plain');
  });
  return { withConsent, plain, ratio: withConsent / plain, rounds };
}

/** The target rows, for the results table. */
export function consentTargetRows(c: ConsentSummary): string[] {
  const rows: string[] = [];
  const r = c.release;
  if (r) {
    const complete = r.missing === 0;
    rows.push(`| Reply acknowledged (200) → held message sent, ${n0(r.users)} held, replies at ${n0(r.replyRatePerSec)}/s | p99 ${ms(r.toSend.p99)} (p50 ${ms(r.toSend.p50)}, max ${ms(r.toSend.max)}; ${n0(r.released)} of ${n0(r.users)} released${complete ? '' : `, ${n0(r.missing)} never sent`}) | p99 ≤ 100 ms | ${verdict(complete && r.toSend.p99 <= 100)} |`);
  } else rows.push(`| Reply → held message sent | not measured: ${c.releaseError ?? 'skipped'} | p99 ≤ 100 ms | **FAIL** |`);
  if (c.webhook.length) {
    const w = webhookFigures(c);
    rows.push(`| Inbound webhook/s with a consent policy ÷ without | ${r2(w.ratio)} (${n0(w.withConsent)} vs ${n0(w.plain)}/s; rounds ${w.rounds.map(r2).join(', ')}) | ≥ 0.8 | ${verdict(w.ratio >= 0.8)} |`);
  } else rows.push(`| Inbound webhook/s with consent ÷ without | not measured: ${c.webhookError ?? 'skipped'} | ≥ 0.8 | **FAIL** |`);
  const m = c.windows;
  if (m) {
    const worst = Math.max(m.fill.bytesPerWindow, m.reopen.bytesPerWindow);
    rows.push(`| Heap per open window, ${n0(m.windows)} windows (file store) | ${n0(m.fill.bytesPerWindow)} B filled, ${n0(m.reopen.bytesPerWindow)} B after a reopen | ≤ 200 B | ${verdict(worst <= 200)} |`);
  } else rows.push(`| Heap per open window | not measured: ${c.windowsError ?? 'skipped'} | ≤ 200 B | **FAIL** |`);
  return rows;
}

/** The section: conditions, then what each scenario measured. */
export function renderConsent(c: ConsentSummary): string[] {
  const s = c.settings;
  const out = ['## WhatsApp consent', ''];
  out.push('| What | Measured | Target | Verdict |', '|---|---|---|---|', ...consentTargetRows(c), '');
  out.push('### Held messages released by replies', '');
  const r = c.release;
  if (r) {
    out.push(`A fresh daemon on the file store, route \`bench\`: a WhatsApp step on the mock provider (\`from\` set, receipts \`sent\`/\`delivered\` 1 s after each send) guarded by a consent policy (window 24 h, hold 1 h), then SMS. ${n0(r.users)} messages to ${n0(r.users)} users who never wrote went in through \`POST /v1/messages\` (${s.connections} connections, ${n0(r.submitted.perSec)}/s); ${n0(r.heldBefore)} were held and ${n0(r.optInTemplates)} opt-in templates counted ${r.holdSec.toFixed(0)} s after the first send. Then one reply per user through \`POST /webhooks/mock-wa/inbound\`, paced at ${n0(r.replyRatePerSec)}/s over up to ${s.connections} connections by a client in the bench process (${n0(r.replies.ok)} acknowledged at ${n0(r.replies.perSec)}/s, webhook latency p50 ${r.replies.latencyP50Ms.toFixed(0)} ms, p99 ${r.replies.latencyP99Ms.toFixed(0)} ms; ${n0(r.replies.failed)} not 200).`, '');
    out.push(`Each message was read back with \`GET /v1/messages/:id\`: the latency is its step-0 attempt that is not the opt-in template (the release's send) — its \`createdAt\` — minus the wall-clock time its reply's 200 arrived at the client. Both clocks are the same machine's, at millisecond resolution; a negative figure means the release was recorded before the webhook answered (${n0(r.toSend.negative)} of them).`, '');
    out.push('| Figure | p50 | p90 | p99 | max | min |', '|---|---|---|---|---|---|');
    out.push(`| Reply 200 → released message's attempt created | ${ms(r.toSend.p50)} | ${ms(r.toSend.p90)} | ${ms(r.toSend.p99)} | ${ms(r.toSend.max)} | ${ms(r.toSend.min)} |`);
    out.push(`| Reply 200 → \`released\` in the history | ${ms(r.toRelease.p50)} | | ${ms(r.toRelease.p99)} | | |`, '');
    out.push(`Released and sent: ${n0(r.released)} of ${n0(r.users)} (${n0(r.releasesCounted)} by the releases counter); daemon CPU over the replies and releases ${r.cpuSecReplies.toFixed(1)} s (${((r.cpuSecReplies * 1000) / Math.max(1, r.released)).toFixed(2)} ms per release); RSS at the end ${mib(r.rssEnd)}. The daemon logged (warn and up): ${describeTally(r.daemonLog)}.`, '');
  } else out.push(`Not measured: ${c.releaseError}`, '');

  out.push('### Inbound webhook throughput with and without consent', '');
  if (c.webhook.length) {
    out.push(`Two fresh daemons per round, the same providers and route — one with the consent policy on the WhatsApp step, one with no \`consent\` section at all — each loaded with inbound WhatsApp messages to the business number from ${n0(s.users)} users in turn (${s.connections} keep-alive connections, closed loop, ${s.warmupSec} s warm-up then ${s.durationSec} s measured; order alternates between rounds).`, '');
    out.push('| Round | Daemon | Inbound/s | p50 / p99 latency | Not 200 | Daemon CPU per request |', '|---|---|---|---|---|---|');
    for (const w of c.webhook) out.push(`| ${w.round} | ${w.kind === 'consent' ? 'consent policy' : 'no consent'} | ${n0(w.load.perSec)} | ${w.load.latencyP50Ms.toFixed(0)} / ${w.load.latencyP99Ms.toFixed(0)} ms | ${n0(w.load.failed)} | ${w.cpuMsPerRequest.toFixed(2)} ms |`);
    out.push('');
  } else out.push(`Not measured: ${c.webhookError}`, '');

  out.push('### Memory per open window', '');
  const m = c.windows;
  if (m) {
    const disk = Object.entries(m.bytesOnDisk).map(([f, b]) => `${f} ${(b / 1e6).toFixed(1)} MB`).join(', ');
    out.push(`The file store opened directly (\`openFileStore\`) in a child process run with \`--expose-gc\`: ${n0(m.windows)} \`store.windows\` entries keyed like the policy's (\`${m.keyExample}\`: 100 business numbers, one user each, 25 characters), each valued with its closing time in epoch ms, committed in batches of 10,000; heap used after two full GCs, minus the heap of the open empty store. Filled: ${n0(m.fill.heapDeltaBytes / 1e6)} MB of heap (${n0(m.fill.bytesPerWindow)} B per window), ${m.fill.fillSec.toFixed(1)} s to set and commit, peak RSS ${mib(m.fill.peakRssBytes)}. Reopened by a fresh process from ${disk}: ${n0(m.reopen.heapDeltaBytes / 1e6)} MB (${n0(m.reopen.bytesPerWindow)} B per window), ${m.reopen.openSec.toFixed(1)} s to open, peak RSS ${mib(m.reopen.peakRssBytes)} (the snapshot is parsed whole before its maps are built).`, '');
  } else out.push(`Not measured: ${c.windowsError}`, '');
  return out;
}

/** `.bench/consent.md` for `npm run bench -- --only consent`. */
export function renderConsentOnly(c: ConsentSummary, m: Machine & { totalSec: number }): string {
  const lines = ['# Benchmarks: WhatsApp consent scenarios only', ''];
  lines.push(`Written by \`npm run bench -- --only consent\` on ${m.date}, against commit \`${m.commit}\`${m.srcDirty ? ' (with uncommitted changes in src/ or plugins/)' : ''}; ${m.cpus} CPUs (${m.cpuModel}), shared and noisy, load average at start ${m.loadAvg}${m.loadAvgEnd ? `, at the end ${m.loadAvgEnd}` : ''}; Node ${m.node}; daemon ${m.daemonBuild}; whole run ${(m.totalSec / 60).toFixed(1)} min.`, '');
  lines.push(...renderConsent(c));
  return lines.join('\n');
}

export function renderConsentStdout(c: ConsentSummary): string {
  const out = ['consent:'];
  const r = c.release;
  out.push(r ? `  reply 200 → held message sent: p50 ${ms(r.toSend.p50)}, p99 ${ms(r.toSend.p99)}, max ${ms(r.toSend.max)}; ${n0(r.released)}/${n0(r.users)} released (target p99 ≤ 100 ms)` : `  release: not measured: ${c.releaseError}`);
  if (c.webhook.length) {
    const w = webhookFigures(c);
    out.push(`  inbound webhook with consent ÷ without: ${r2(w.ratio)} (${n0(w.withConsent)} vs ${n0(w.plain)}/s) (target ≥ 0.8)`);
  } else out.push(`  webhook throughput: not measured: ${c.webhookError}`);
  out.push(c.windows ? `  heap per window, ${n0(c.windows.windows)} windows: ${n0(c.windows.fill.bytesPerWindow)} B filled, ${n0(c.windows.reopen.bytesPerWindow)} B reopened (target ≤ 200 B)` : `  windows: not measured: ${c.windowsError}`);
  return out.join('\n');
}
