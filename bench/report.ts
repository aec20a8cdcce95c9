/**
 * Turns the measured figures into BENCHMARKS.md and a short stdout summary. Every sentence is
 * built from the run's own figures; nothing here describes the store from memory.
 */
import type { AcceptRun } from './accepts.js';
import type { ProfileSummary } from './profile.js';
import type { RetainedSeed } from './seed.js';
import type { FailedRun } from './accepts.js';
import { pgTargetRows, renderPostgres } from './report-postgres.js';
import type { TakeoverResult } from './takeover.js';
import type { TimerResult } from './timers.js';

export interface Machine {
  date: string;
  cpus: number;
  cpuModel: string;
  memGiB: number;
  node: string;
  kernel: string;
  loadAvg: string;
  /** At the end of the run. */
  loadAvgEnd?: string;
  daemonBuild: string;
  commit: string;
  srcDirty: boolean;
}

export interface PostgresSummary {
  server?: { version: string; settings: Record<string, string> };
  /** The cluster did not start. */
  error?: string;
  failed: FailedRun[];
  pending: number;
  pendingVia: 'api' | 'seed';
  neededRate: number;
  lease: string;
  spreadSec: number;
  watchSec: number;
  timers?: TimerResult;
  timerError?: string;
  takeovers: TakeoverResult[];
  /** A daemon on PostgreSQL under `--cpu-prof`: alone, and beside a second daemon on the same database. */
  profiles: { one?: ProfileSummary; two?: ProfileSummary };
  takeoverError?: string;
}

export interface Summary {
  machine: Machine;
  settings: {
    rounds: number; connections: number; warmupSec: number; durationSec: number;
    retained: number; seed: RetainedSeed; receiptIndexMs: number; seedSec: number;
    pending: number; pendingVia: 'api' | 'seed'; neededRate: number; totalSec: number;
    /** `--only postgres`: the file store's empty runs and the PostgreSQL scenarios, nothing else. */
    only?: string;
  };
  runs: AcceptRun[];
  timers?: TimerResult;
  timerError?: string;
  profile?: ProfileSummary;
  postgres?: PostgresSummary;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
export const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
export const mb = (b: number) => (b >= 10e6 ? `${(b / 1e6).toFixed(0)} MB` : `${(b / 1e6).toFixed(1)} MB`);
export const n0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
export const n1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
export const r2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
export const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
export const verdict = (ok: boolean) => (ok ? '**pass**' : '**FAIL**');
const serverName = (r: AcceptRun, retained: number) => (r.target === 'baseline' ? 'bare Koa + koa-bodyparser' : r.target === 'empty' ? 'switchboard, empty store' : `switchboard, ${n0(retained)} retained`);

export function figures(s: Summary) {
  const of = (t: AcceptRun['target']) => s.runs.filter((r) => r.target === t);
  const base = median(of('baseline').map((r) => r.acceptsPerSec));
  const empty = median(of('empty').map((r) => r.acceptsPerSec));
  const retained = median(of('retained').map((r) => r.acceptsPerSec));
  const perRound = (t: AcceptRun['target'], vs: AcceptRun['target']) =>
    [...new Set(s.runs.map((r) => r.round))].map((round) => {
      const a = s.runs.find((r) => r.round === round && r.target === t)!;
      const b = s.runs.find((r) => r.round === round && r.target === vs)!;
      return a.acceptsPerSec / b.acceptsPerSec;
    });
  const daemonRuns = s.runs.filter((r) => r.appended && r.appended.records > 0);
  const appended = {
    bytes: sum(daemonRuns.map((r) => r.appended!.bytes)),
    lines: sum(daemonRuns.map((r) => r.appended!.lines)),
    records: sum(daemonRuns.map((r) => r.appended!.records)),
    duplicates: sum(daemonRuns.map((r) => r.appended!.duplicates)),
  };
  return {
    base, empty, retained,
    ratioEmpty: empty / base,
    ratioRetained: retained / base,
    retainedVsEmpty: retained / empty,
    roundsEmpty: perRound('empty', 'baseline'),
    roundsRetained: perRound('retained', 'baseline'),
    roundsRetainedVsEmpty: perRound('retained', 'empty'),
    cpuBase: median(of('baseline').map((r) => r.cpuMsPerRequest)),
    cpuEmpty: median(of('empty').map((r) => r.cpuMsPerRequest)),
    cpuRetained: median(of('retained').map((r) => r.cpuMsPerRequest)),
    startupEmpty: median(of('empty').map((r) => r.startupSec)),
    startupRetained: median(of('retained').map((r) => r.startupSec)),
    rssBase: median(of('baseline').map((r) => r.rssAfter)),
    rssEmpty: median(of('empty').map((r) => r.rssAfter)),
    rssRetained: median(of('retained').map((r) => r.rssAfter)),
    appended,
    daemonRuns,
  };
}

export function renderMarkdown(s: Summary): string {
  const f = figures(s);
  const t = s.timers;
  const m = s.machine;
  const range = (xs: number[]) => `${r2(Math.min(...xs))}–${r2(Math.max(...xs))}`;
  const lagOk = t ? t.sample.fireP99 <= 50 && t.sample.missing === 0 : false;
  const rssOk = t ? t.rssPendingIdle <= 150e6 : false;
  const lines: string[] = [];
  lines.push('# Benchmarks', '');
  lines.push(`Written by \`npm run bench\` (bench/run.ts) on ${m.date}, against commit \`${m.commit}\`${m.srcDirty ? ' (with uncommitted changes in src/ or plugins/)' : ''}. Every figure below comes from that one run; ratios compare against a baseline measured in the same run, on the same machine, with the same client.`, '');
  lines.push('## Machine', '');
  lines.push(`- ${m.cpus} CPUs (${m.cpuModel}), ${m.memGiB.toFixed(0)} GiB RAM, shared and noisy; load average at start ${m.loadAvg}${m.loadAvgEnd ? `, at the end ${m.loadAvgEnd}` : ''}`);
  lines.push(`- Node ${m.node}, Linux ${m.kernel}; daemon ${m.daemonBuild}`);
  lines.push(`- Whole run: ${(s.settings.totalSec / 60).toFixed(1)} min`, '');

  lines.push('## Results against the targets', '');
  lines.push('| What | Measured | Target | Verdict |', '|---|---|---|---|');
  lines.push(`| Durable accepts/s ÷ bare Koa baseline, empty store | ${r2(f.ratioEmpty)} (${n0(f.empty)} vs ${n0(f.base)} req/s; rounds ${range(f.roundsEmpty)}) | ≥ 0.5 | ${verdict(f.ratioEmpty >= 0.5)} |`);
  lines.push(`| Same with ${n0(s.settings.retained)} messages retained, ÷ empty-store figure | ${r2(f.retainedVsEmpty)} (${n0(f.retained)} vs ${n0(f.empty)} req/s; rounds ${range(f.roundsRetainedVsEmpty)}) | ≥ 0.8 | ${verdict(f.retainedVsEmpty >= 0.8)} |`);
  lines.push(`| Same with ${n0(s.settings.retained)} retained, ÷ baseline | ${r2(f.ratioRetained)} (rounds ${range(f.roundsRetained)}) | (≥ 0.4 implied) | ${verdict(f.ratioRetained >= 0.4)} |`);
  if (t) {
    lines.push(`| Fallback-timer lag p99, ${n0(t.pending)} pending (exact, from ${n0(t.sample.size)} sampled message histories) | ${n0(t.sample.fireP99)} ms (p50 ${n0(t.sample.fireP50)} ms, max ${n0(t.sample.fireMax)} ms${t.sample.missing ? `; ${t.sample.missing} of the sample never recorded it` : ''}) | ≤ 50 ms | ${verdict(lagOk)} |`);
    lines.push(`| RSS with ${n0(t.pending)} pending fallbacks (idle, before they fire) | ${mib(t.rssPendingIdle)} = ${n0(t.rssPendingIdle / 1e6)} MB (V8 heap in use ${mib(t.heapUsedPendingIdle)}; peak while firing ${mib(t.rssPeakWhileFiring)}) | ≤ 150 MB | ${verdict(rssOk)} |`);
  } else {
    lines.push(`| Fallback-timer lag p99 | not measured: ${s.timerError ?? 'skipped'} | ≤ 50 ms | **FAIL** |`);
    lines.push('| RSS with pending fallbacks | not measured | ≤ 150 MB | **FAIL** |');
  }
  lines.push(...pgTargetRows(s));
  lines.push('');

  lines.push('## Accept throughput, every run', '');
  lines.push(`${s.settings.connections} concurrent keep-alive connections (autocannon, in the bench process), ${s.settings.warmupSec} s warm-up then ${s.settings.durationSec} s measured, each server a fresh child process on 127.0.0.1. The daemon's route is one SMS step on a mock provider that answers \`queued\` and then sends receipts \`sent\` and \`delivered\` through the daemon's own webhook path 1 s later, so every accepted message is also routed, sent and completed during the run. Order alternates between rounds to spread drift.`, '');
  lines.push('| Round | Server | Accepted/s | p50 / p99 latency | non-2xx / errors | Server CPU per request | Startup | RSS after (peak) |', '|---|---|---|---|---|---|---|---|');
  for (const r of s.runs.filter((x) => x.target === 'baseline' || x.target === 'empty' || x.target === 'retained')) {
    lines.push(`| ${r.round} | ${serverName(r, s.settings.retained)} | ${n0(r.acceptsPerSec)} | ${r.latencyP50Ms} / ${r.latencyP99Ms} ms | ${r.non2xx} / ${r.errors} | ${r.cpuMsPerRequest.toFixed(2)} ms | ${r.startupSec.toFixed(1)} s | ${mib(r.rssAfter)} (${mib(r.rssPeak)}) |`);
  }
  lines.push('');
  if (f.daemonRuns.length) {
    lines.push('What each daemon run left on disk (whole run, warm-up included; read back from its store folder after it stopped):', '');
    lines.push('| Round | Server | Messages written | Lines appended (versions per message) | Of which identical to the previous version | Bytes appended per message | Hot-state journal + snapshot | Snapshots folded |', '|---|---|---|---|---|---|---|---|');
    for (const r of f.daemonRuns) {
      const a = r.appended!;
      const h = r.hot!;
      lines.push(`| ${r.round} | ${serverName(r, s.settings.retained)} | ${n0(a.records)} | ${n0(a.lines)} (${n1(a.lines / a.records)}) | ${n0(a.duplicates)} (${pct(a.duplicates / Math.max(1, a.lines))}) | ${n0(a.bytes / a.records)} B (${mb(a.bytes)} in ${a.files} segment${a.files === 1 ? '' : 's'}) | ${mb(h.journalBytes)} + ${mb(h.snapshotBytes)} | ${h.generation} |`);
    }
    lines.push('');
  }
  const seed = s.settings.seed;
  lines.push(`The retained store: ${n0(s.settings.retained)} delivered messages over 30 days in ${n0(seed.segments)} hourly segment files, ${mb(seed.bytes)} and ${n0(seed.lines)} lines, written by the bench in ${s.settings.seedSec.toFixed(0)} s. The ${n0(seed.fullHistory)} messages inside the ${n0(s.settings.receiptIndexMs / 86_400_000)}-day receipt-index window (which the daemon scans at start) carry every version a live daemon appends for such a message (${n1((seed.lines - (s.settings.retained - seed.fullHistory)) / Math.max(1, seed.fullHistory))} lines each, the sequence observed on a running daemon); older ones only their final version. Each run gets the seed hard-linked into a fresh data folder, except the two newest segments (copied, since the daemon appends to segment files in place).`, '');

  if (t) lines.push(...renderTimers(s, t));
  if (s.profile) lines.push(...renderProfile(s, s.profile));
  lines.push(...renderLimits(s));
  if (s.postgres) lines.push(...renderPostgres(s));
  return lines.join('\n');
}

export function renderTimers(s: Summary, t: TimerResult): string[] {
  const out = ['## Fallback timers', ''];
  const route = `a two-step route (WhatsApp via a mock that never answers, \`within: ${t.withinSec}s\`; then SMS via a mock that never answers either, \`within: 1h\`, so the pending count stays at ${n0(t.pending)} while they fire)`;
  if (t.via === 'api' && t.submitted) {
    const sub = t.submitted;
    out.push(`${n0(t.pending)} messages on ${route} were submitted through \`POST /v1/messages\` at a fixed ${n0(sub.ratePerSec)}/s, evenly: request i starts i ÷ rate after the first (bench/load.ts \`submitEvenly\`, ${s.settings.connections} keep-alive connections) to a daemon started on an empty store: ${n0(sub.accepted)} accepted in ${n1(sub.durationSec)} s (${n0(sub.acceptsPerSec)}/s; latency p50 ${sub.latencyP50Ms} ms, p99 ${sub.latencyP99Ms} ms; ${sub.non2xx} non-2xx, ${sub.errors} errors). Each was routed and its WhatsApp attempt sent by the engine itself; the daemon then reported ${n0(t.pendingSeen)} pending timers. Their \`within\` timers came due over ${n1(t.firingWindowSec)} s (≈ ${n0(t.pending / Math.max(1, t.firingWindowSec))} fallbacks/s), starting ${n1(t.idleGapSec)} s after the last accept; each one records \`step_timed_out\`, starts the SMS step and sends it. The due time of each sampled message is its \`step_started\` (step 0) time plus \`within\`, which is when the engine armed the timer.`, '');
  } else if (t.seeded) {
    out.push(`${n0(t.pending)} messages on ${route} were written into the store as the engine leaves them after the WhatsApp send (${mb(t.seeded.segmentBytes)} of segment lines, plus ${n0(t.pending)} step-timeout timers in a ${mb(t.seeded.snapshotBytes)} \`state.json\` snapshot, no journal), ${s.runs.length === 0 ? `(\`--only timers\`: no accept rounds ran to choose)` : `because the daemon's empty-store accept rate (${n0(figures(s).empty)}/s) was too low to submit them through the API at the ${n0(s.settings.neededRate)}/s this phase needs`}. The daemon started on that store (${n1(t.startupSec)} s to ready; it reported ${n0(t.pendingSeen)} pending timers), then the timers came due over ${n1(t.firingWindowSec)} s (≈ ${n0(t.pending / Math.max(1, t.firingWindowSec))} fallbacks/s).`, '');
  }
  out.push('| Lag measure | p50 | p99 | max |', '|---|---|---|---|');
  out.push(`| Timer fired → \`step_timed_out\` recorded, minus due time (exact, sample of ${n0(t.sample.size)}) | ${n0(t.sample.fireP50)} ms | ${n0(t.sample.fireP99)} ms | ${n0(t.sample.fireMax)} ms |`);
  out.push(`| SMS fallback handed to the provider (\`attempt_sent\`, step 1) minus due time (exact, same sample) | ${n0(t.sample.sendP50)} ms | ${n0(t.sample.sendP99)} ms | ${n0(t.sample.sendMax)} ms |`);
  // Re-rendered from .bench/last-run.json, Infinity comes back as null.
  const inf = (x: number | null) => x === null || x === Infinity;
  const b = (q: { value: number; lower: number; upper: number | null }) => `${n0(q.value * 1000)} ms (bucket ${n0(q.lower * 1000)}–${inf(q.upper) ? '+Inf' : n0(q.upper! * 1000)} ms)`;
  out.push(`| \`switchboard_scheduler_lag_seconds{kind="step-timeout"}\` (${n0(t.histogram.count)} observations, interpolated) | ${b(t.histogram.p50)} | ${b(t.histogram.p99)} | ≤ ${inf(t.histogram.max) ? '+Inf' : `${n0(t.histogram.max * 1000)} ms`} (bucket) |`);
  out.push('');
  out.push(`The histogram's buckets are 1, 5, 10, 25, 50, 100, 250 ms, 1 s, 5 s, so its quantiles are only as fine as the bucket they land in (\`histogram_quantile\` interpolates linearly inside it). The sampled histories are exact to the millisecond, cover the whole firing window evenly, and are the figure judged. The scheduler observes lag when its \`setTimeout\` callback starts the batch of due timers; \`step_timed_out\` is recorded later, after the handler took the message's lock and read the message from its segment.`, '');
  out.push(`While they fired, the longest event-loop stall the daemon itself reported (prom-client \`nodejs_eventloop_lag_max_seconds\`, scraped every second) was ${n0(t.loopLagMaxMs)} ms, and the daemon used ${r2(t.cpuMsPerFallback)} ms of CPU per fallback (over the firing window, scrapes included).${t.machine ? ` Over that window the machine's CPUs were ${pct(t.machine.busy)} busy (the daemon ${pct(t.machine.daemon)} of all CPU time), ${pct(t.machine.iowait)} waiting on the disk (worst second ${n0(t.machine.worstIowaitMs)} ms over all CPUs) and ${pct(t.machine.steal)} taken by the host (steal; worst second ${n0(t.machine.worstStealMs)} ms), from /proc/stat.` : ''}`, '');
  const idle = t.filesIdle!;
  const end = t.filesEnd!;
  out.push(`Store files with the ${n0(t.pending)} pending (before any fired): ${mb(idle.appended.bytes)} appended to ${idle.appended.files} message segment${idle.appended.files === 1 ? '' : 's'} (${n0(idle.appended.lines)} lines for ${n0(idle.appended.records)} messages, ${n1(idle.appended.lines / Math.max(1, idle.appended.records))} versions each), hot-state journal ${mb(idle.hot.journalBytes)}, snapshot \`state.json\` ${mb(idle.hot.snapshotBytes)} (${idle.hot.generation} folded so far). At the end of the phase: ${mb(end.appended.bytes)} of segment lines (${n0(end.appended.lines)} lines, ${n0(end.appended.records)} messages${t.acceptsWithPending ? ', the accept probe included' : ''}), journal ${mb(end.hot.journalBytes)}, snapshot ${mb(end.hot.snapshotBytes)} with ${n0(end.hot.collections.timers ?? 0)} timers after ${end.hot.generation} fold${end.hot.generation === 1 ? '' : 's'}; a fold writes the state as of one commit in the background while later commits go on (\`src/store/file/committed-view.ts\`), 2,000 entries at a time, resting after each slice as long as it took (\`SnapshotFile\` in \`src/store/file/snapshot.ts\`), so it never holds the event loop for the whole of it nor takes more than about half of it (a single \`JSON.stringify\` of it would take ${n0(end.hot.stringifyMs ?? NaN)} ms, measured in the bench process, best of 3).`, '');
  out.push(`RSS: ${mib(t.rssAtReady)} when the daemon was ready on its empty store, ${mib(t.rssPendingIdle)} with the ${n0(t.pending)} pending (V8 heap in use ${mib(t.heapUsedPendingIdle)}), ${mib(t.rssPeakWhileFiring)} at most while they fired (process peak ${mib(t.rssPeakProcess)}${t.heapUsedPeakWhileFiring ? `; the 1 s scrapes saw at most ${mib(t.heapUsedPeakWhileFiring)} of V8 heap in use and ${mib(t.externalPeakWhileFiring ?? NaN)} outside it` : ''}).`, '');
  if (t.acceptsWithPending) {
    const a = t.acceptsWithPending;
    out.push(`Accepts with ${n0(t.pendingSeen)} fallbacks pending (${a.durationSec.toFixed(0)} s, ${s.settings.connections} connections, before any fired; on a second route, the same one-step SMS route as the accept runs, so the probe adds no fallbacks): ${n0(a.acceptsPerSec)}/s, p99 latency ${a.latencyP99Ms} ms${s.runs.length === 0 ? '' : `, against the empty-store median ${n0(figures(s).empty)}/s`}.`, '');
  }
  return out;
}

function renderProfile(s: Summary, p: ProfileSummary): string[] {
  const out = ['## Where the CPU goes', ''];
  out.push(`A separate daemon process, not one of the measured runs: empty store, the same ${s.settings.connections}-connection load (${s.settings.warmupSec} s + ${s.settings.durationSec} s), run under \`node --cpu-prof\` (the profile covers the whole process life, start and stop included). It accepted ${n0(p.load.acceptsPerSec)}/s while profiled; ${pct(p.busy)} of its ${n0(p.samples)} samples were busy (not idle). Shares below are of busy samples. Builtins with no script of their own (\`JSON.stringify\`, \`Buffer.from\`, …) count for the nearest JavaScript function that called them.`, '');
  out.push('| Area (innermost frame) | Self | Anywhere on the stack |', '|---|---|---|');
  for (const a of p.selfByArea.slice(0, 10)) {
    const incl = p.inclusiveByArea.find((x) => x.area === a.area);
    out.push(`| ${a.area} | ${pct(a.share)} | ${incl ? pct(incl.share) : '–'} |`);
  }
  out.push('', '| Hottest functions (self) | Share | Reached from (nearest switchboard frame) |', '|---|---|---|');
  for (const x of p.topSelf.slice(0, 10)) out.push(`| \`${x.fn}\` | ${pct(x.share)} | ${x.via ?? '–'} |`);
  out.push('', `Inclusive (the function and everything it called): ${p.inclusiveFns.map((x) => `\`${x.fn}\` ${pct(x.share)}`).join(', ')}.`, '');
  return out;
}

/** Why the targets are (not) met: the figures above, tied to what produced them. */
function renderLimits(s: Summary): string[] {
  const f = figures(s);
  const t = s.timers;
  const p = s.profile;
  const out = ['## What limits it', ''];
  const a = f.appended;
  const perMsg = a.bytes / Math.max(1, a.records);
  const versions = a.lines / Math.max(1, a.records);
  const area = (name: string) => p?.selfByArea.find((x) => x.area.startsWith(name))?.share ?? 0;
  const top3 = p ? p.topSelf.slice(0, 3).map((x) => `\`${x.fn}\` ${pct(x.share)}${x.via ? ` (from ${x.via.split('; ')[0].replace(/ \d+ %$/, '')})` : ''}`).join(', ') : '';
  out.push(
    `- **Accepts: CPU per message.** A commit appends only the records that changed (${n0(perMsg)} bytes per message over its life here), so its cost does not depend on what the hour or the store already holds. The daemon used ${f.cpuEmpty.toFixed(2)} ms of CPU per accepted message against the baseline's ${f.cpuBase.toFixed(2)} ms (${n0(f.cpuEmpty / Math.max(1e-9, f.cpuBase))}×)${p ? `, and the profiled daemon was busy in ${pct(p.busy)} of its samples${p.busy >= 0.8 ? ': CPU-bound on 2 cores shared with the load generator, not waiting on the disk' : ''}` : ''}; that gives the ${r2(f.ratioEmpty)} throughput ratio${f.ratioEmpty >= 0.5 ? '' : ' (target 0.5)'}. Almost every accepted message is routed, sent and gets both receipts within the run (those of the last second are cut off when the daemon stops), and the store appended ${n1(versions)} versions of it (${n0(perMsg)} bytes; ${pct(a.duplicates / Math.max(1, a.lines))} of all lines were byte-identical to the line before them for the same message, i.e. a re-append of an unchanged record).${p ? ` In the profile, the hottest functions were ${top3}; by area, store code ${pct(area('store'))} self (${pct(p.inclusiveByArea.find((x) => x.area.startsWith('store'))?.share ?? 0)} with it on the stack), Node internals ${pct(area('Node internals'))}, engine ${pct(area('engine'))}, garbage collection ${pct(area('garbage'))}, Koa and its middleware ${pct(area('Koa'))}.` : ''}`,
  );
  const mockIds = p?.topSelf.find((x) => x.fn.startsWith('randomFillSync') && /plugins\/mock\//.test(x.via ?? ''));
  if (mockIds) {
    out.push(`- **Part of that CPU is the bench's mock provider.** \`randomFillSync\` (${pct(mockIds.share)} of busy samples) was reached mostly from the mock plugin's \`send\` (${mockIds.via}): it makes each provider message id with \`ulid()\`, whose random part (as the installed \`ulid\` package reads randomness) costs one \`crypto.getRandomValues\` call per character. A real provider plugin would spend that time waiting on the network instead; the engine's own ids come from \`monotonicFactory\`, which draws fresh randomness only on a new millisecond.`);
  }
  out.push(
    `- **Retained history costs at start, not per accept.** Old segments are never touched by an accept, so ${n0(s.settings.retained)} retained messages left accepts at ${r2(f.retainedVsEmpty)} of the empty-store figure (CPU per message ${f.cpuRetained.toFixed(2)} vs ${f.cpuEmpty.toFixed(2)} ms). At start, the receipt index comes from the hot state, where each commit keeps it (its entries are parsed after ready, in the background); only an hour of the index window it does not cover is read and parsed (${n0(s.settings.seed.fullHistory)} messages retained here): startup ${n1(f.startupRetained)} s vs ${n1(f.startupEmpty)} s, RSS after the run ${mib(f.rssRetained)} vs ${mib(f.rssEmpty)} (medians).`,
  );
  if (t) {
    const lagVerdict = t.sample.fireP99 <= 50 ? 'within the 50 ms target' : 'over the 50 ms target';
    const fold = t.filesEnd!.hot.stringifyMs ?? NaN;
    out.push(
      `- **Timer lag: the event loop, shared with the fallbacks' own work.** Lag p99 was ${n0(t.sample.fireP99)} ms, ${lagVerdict}, while ≈ ${n0(t.pending / Math.max(1, t.firingWindowSec))} fallbacks/s fired, each costing ${r2(t.cpuMsPerFallback)} ms of CPU (≈ ${pct((t.pending / Math.max(1, t.firingWindowSec)) * t.cpuMsPerFallback / 1000)} of one core). The scheduler (heap + one \`setTimeout\`) itself saw p50 ${n0(t.histogram.p50.value * 1000)} ms and p99 ≈ ${n0(t.histogram.p99.value * 1000)} ms: its callback, like the handlers after it, runs late only when the loop is busy, and the longest single stall the daemon reported was ${n0(t.loopLagMaxMs)} ms. Hot-state folds (${t.filesEnd!.hot.generation} over the phase's daemon life, the last one a ${mb(t.filesEnd!.hot.snapshotBytes)} snapshot that one \`JSON.stringify\` would take ${n0(fold)} ms to build) are written a slice at a time, so they do not show up as a single long stall. The SMS fallback itself goes out only after the new attempt's own group commit (one synchronous append per changed file, all at once), so \`attempt_sent\` trails by p50 ${n0(t.sample.sendP50 - t.sample.fireP50)} ms more.${t.acceptsWithPending ? ` Accepts with ${n0(t.pending)} pending: ${n0(t.acceptsWithPending.acceptsPerSec)}/s, ${r2(t.acceptsWithPending.acceptsPerSec / f.empty)} of the empty-store median.` : ''}`,
      `- **Memory: a Node process under load, plus the pending state.** RSS was ${mib(t.rssPendingIdle)} (${n0(t.rssPendingIdle / 1e6)} MB) with ${n0(t.pending)} pending${t.rssPendingIdle <= 150e6 ? ', within the 150 MB target' : ', over the 150 MB target'}, of which the V8 heap in use was ${mib(t.heapUsedPendingIdle)}; the rest lies outside the live heap (heap space V8 grew while the messages were being accepted and still holds, buffers, code). For scale: the daemon was at ${mib(t.rssAtReady)} when ready ${t.via === 'api' ? 'on an empty store' : `on the seeded store (the ${n0(t.pending)} already pending, not yet loaded into the engine's caches)`}, and the bare Koa baseline, which keeps nothing, ended its runs at ${mib(f.rssBase)} RSS (median). Between ready and idle-with-pending the process grew by ${mib(t.rssPendingIdle - t.rssAtReady)}, ≈ ${n0((t.rssPendingIdle - t.rssAtReady) / t.pending)} bytes per pending fallback, against ≈ ${n0(t.filesEnd!.hot.snapshotBytes / Math.max(1, t.filesEnd!.hot.collections.timers ?? 0))} bytes of JSON per pending timer in the \`state.json\` snapshot: the live heap holds far more per pending fallback than its durable state.`,
    );
    if (t.via === 'api' && t.submitted) {
      out.push(`- **How the pending state was made.** Through the API: the empty-store daemon accepted ${n0(f.empty)}/s, well above the ${n0(s.settings.neededRate)}/s this phase needs, so all ${n0(t.pending)} were submitted at a fixed rate and routed by the engine; no store files were written by the bench in this phase.`);
    } else {
      out.push(`- **How the pending state was made.** Seeded: at the measured ${n0(f.empty)}/s, submitting ${n0(t.pending)} messages at the ${n0(s.settings.neededRate)}/s this phase needs was not possible, so they were written into the store; the daemon cannot tell the difference after a restart.`);
    }
  }
  out.push(
    `- **Noise.** 2 shared CPUs; autocannon runs in the bench process and competes with the server under test, for the baseline and the daemon alike. The machine's load average was ${s.machine.loadAvg} at the start${s.machine.loadAvgEnd ? ` and ${s.machine.loadAvgEnd} at the end` : ''} (on 2 CPUs: anything well above 2 means other work shared the cores with every run). Each figure is the median of ${s.settings.rounds} rounds, and each round's ratio is listed, so the spread is visible.`,
    '',
  );
  return out;
}

export function renderStdout(s: Summary): string {
  const f = figures(s);
  const t = s.timers;
  const out = [
    '',
    '=== switchboard bench ===',
    `baseline (bare Koa):       ${n0(f.base)} req/s`,
    `switchboard, empty store:  ${n0(f.empty)} accepts/s   ratio ${r2(f.ratioEmpty)}  (target ≥ 0.5)`,
    `switchboard, ${n0(s.settings.retained)} kept: ${n0(f.retained)} accepts/s   ratio ${r2(f.ratioRetained)}, ${r2(f.retainedVsEmpty)} of empty (target ≥ 0.8)`,
  ];
  if (t) {
    out.push(`timer lag, ${n0(t.pending)} pending (${t.via}):  p99 ${n0(t.sample.fireP99)} ms exact (histogram p99 ≈ ${n0(t.histogram.p99.value * 1000)} ms)  (target ≤ 50 ms)`);
    out.push(`RSS, ${n0(t.pending)} pending:        ${mib(t.rssPendingIdle)} idle (heap ${mib(t.heapUsedPendingIdle)}), ${mib(t.rssPeakWhileFiring)} peak while firing  (target ≤ 150 MB)`);
  } else out.push(`timer phase failed: ${s.timerError}`);
  return out.join('\n');
}
