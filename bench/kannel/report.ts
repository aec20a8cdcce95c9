/** Markdown for issue 14's comparison with Kannel: ratios of medians, every round's ratio beside them. */
import { ranBy, type SectionMeta } from '../report-sections.js';
import { median } from '../report.js';
import type { KannelAcceptRun, KannelSummary, KannelTarget } from './run.js';

const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
const verdict = (ok: boolean) => (ok ? '**pass**' : '**FAIL**');

const LABEL: Record<KannelTarget, string> = {
  kannel: 'Kannel sendsms (bearerbox + smsbox, file store, no fsync)',
  switchboard: 'Switchboard, file store (fsync on)',
  'switchboard-nofsync': 'Switchboard, file store, fsync off (libeatmydata)',
  koa: 'bare Koa + koa-bodyparser',
};

/** Per-round ratio a ÷ b where both were measured in the round, and the ratio of the medians. */
function ratio(values: (t: KannelTarget, round: number) => number | undefined, a: KannelTarget, b: KannelTarget, rounds: number) {
  const per: number[] = [];
  const as: number[] = [];
  const bs: number[] = [];
  for (let r = 1; r <= rounds; r++) {
    const x = values(a, r);
    const y = values(b, r);
    if (x !== undefined) as.push(x);
    if (y !== undefined) bs.push(y);
    if (x !== undefined && y !== undefined && y > 0) per.push(x / y);
  }
  if (as.length === 0 || bs.length === 0) return undefined;
  return { value: median(as) / median(bs), a: median(as), b: median(bs), rounds: per };
}

/** How to reproduce, kept in the generated section so a full run does not lose it. */
export const KANNEL_HOW = [
  'Install Kannel and eatmydata from Debian (bookworm has Kannel 1.4.5-12; `kannel-extras` brings fakesmsc to `/usr/lib/kannel/test/fakesmsc`; the packages start no service in a container without an init), then run only this section:',
  '',
  '```sh',
  'apt-get install -y kannel kannel-extras eatmydata',
  'npm run bench -- --only kannel      # writes .bench/kannel.md; a full `npm run bench` puts it here',
  '# smaller: BENCH_ROUNDS=3 BENCH_WARMUP=1 BENCH_DURATION=5 BENCH_KANNEL_MESSAGES=5000 npm run bench -- --only kannel',
  '```',
  '',
  'The bench writes each run\'s kannel.conf from bench/kannel/kannel.conf.template into a temp folder with free ports and starts bearerbox, fakesmsc and smsbox itself (bench/kannel/kannel.ts); nothing listens once it ends. Without Kannel one line says so and the Switchboard and Koa rows are still measured; without eatmydata the fsync-off rows are left out. The one-core rows pin every thread of the server to the last CPU with `taskset` (util-linux) and the bench, which runs the load, to the others (bench/kannel/cores.ts).',
  '',
];

const perRequest = (r: KannelAcceptRun, part: string) => ((r.split.find((x) => x.part === part)?.seconds ?? 0) * 1000) / Math.max(1, r.accepted);
const splitText = (r: KannelAcceptRun) => r.split.filter((x) => x.seconds > 0).sort((a, b) => b.seconds - a.seconds).map((x) => `${x.part} ${perRequest(r, x.part).toFixed(3)} ms`).join(', ') || '–';

/** Medians over the rounds of one target's runs (one core or not): CPU per request, and of one part of it. */
function cpuMedians(s: KannelSummary, target: KannelTarget, oneCore: boolean) {
  const runs = s.accepts.filter((x) => x.target === target && x.oneCore === oneCore);
  if (runs.length === 0) return undefined;
  return { cpu: median(runs.map((r) => r.cpuMsPerRequest)), part: (part: string) => median(runs.map((r) => perRequest(r, part))), perSec: median(runs.map((r) => r.acceptsPerSec)) };
}

/**
 * What limits the accept ratio, from the runs' own CPU readings: on one core, requests per second
 * is about one second ÷ CPU per request, so the ratio is Kannel's CPU per request ÷ ours.
 */
function limits(s: KannelSummary): string[] {
  const kannel = cpuMedians(s, 'kannel', true);
  const ours = cpuMedians(s, 'switchboard', true);
  const oursAll = cpuMedians(s, 'switchboard', false);
  const kannelAll = cpuMedians(s, 'kannel', false);
  const koa = cpuMedians(s, 'koa', false);
  if (!kannel || !ours || !oursAll) return [];
  const ms = (x: number) => `${x.toFixed(3)} ms`;
  const busy = (m: { cpu: number; perSec: number }) => `${Math.round(m.cpu * m.perSec / 10)} %`;
  const main = oursAll.part('main thread');
  return [
    '**What limits it.** CPU per request, medians of the runs below:',
    '',
    `- **On one core** Kannel kept its core ${busy(kannel)} busy and Switchboard ${busy(ours)}, so each one's rate is about one second ÷ its CPU per request: Kannel spent ${ms(kannel.cpu)} (bearerbox ${ms(kannel.part('bearerbox'))}, smsbox ${ms(kannel.part('smsbox'))}), Switchboard ${ms(ours.cpu)} (${(ours.cpu / kannel.cpu).toFixed(2)}×). To match Kannel there, an accept would have to cost ${Math.round((1 - kannel.cpu / ours.cpu) * 100)} % less CPU${koa ? `, where bare Koa with its body parser alone, answering the same request without storing or routing anything, spends ${ms(koa.cpu)}` : ''}. Per accept, Switchboard validates and authenticates the request, stores the message, starts its route, hands it to the provider, stores the attempt and arms its fallback timer, with two fsynced group commits; the profile under "Where the CPU goes" (a daemon taking the same accepts, and their receipts on top) shows that time spread over the store, the engine, Node's HTTP and Koa, with no function above a few per cent.`,
    `- **On every core** Kannel's two processes and their threads run side by side. Switchboard's JavaScript runs on one thread: ${ms(main)} of its ${ms(oursAll.cpu)} per accept were on the main thread (${Math.round((main / oursAll.cpu) * 100)} %), and only the rest (the writes and fsyncs on libuv's pool, V8's collector helpers, the log worker) could use the second core: it took Switchboard from ${n0(ours.perSec)}/s on one core to ${n0(oursAll.perSec)}/s on both${kannelAll ? `, while Kannel ran at ${n0(kannel.perSec)}/s on one core and ${n0(kannelAll.perSec)}/s on both` : ''}. Matching Kannel on both cores would take the main thread's share of an accept under ${ms(1000 / (kannelAll ?? kannel).perSec)}${kannelAll ? `; and at Kannel's rate, Switchboard's whole CPU per accept would keep ${((oursAll.cpu * kannelAll.perSec) / 1000).toFixed(2)} cores busy, where Kannel used ${((kannelAll.cpu * kannelAll.perSec) / 1000).toFixed(2)}, on a machine whose cores also run the load generator` : ''}.`,
    '',
  ];
}

export function renderKannel(s: KannelSummary, m: SectionMeta): string {
  const head = ['## Issue 14 — against Kannel', '', ...KANNEL_HOW, ...(s.skipped ? [`**${s.skipped}.** The rows below without Kannel were still measured.`, ''] : [])];
  const { rounds, connections, warmupSec, durationSec, messages } = s.settings;
  const acc = (t: KannelTarget, r: number) => s.accepts.find((x) => x.target === t && x.round === r && !x.oneCore)?.acceptsPerSec;
  const accOneCore = (t: KannelTarget, r: number) => s.accepts.find((x) => x.target === t && x.round === r && x.oneCore)?.acceptsPerSec;
  const e2e = (t: KannelTarget, r: number) => s.endToEnd.find((x) => x.target === t && x.round === r)?.endToEndSec;
  const e2eCold = (t: KannelTarget, r: number) => s.endToEnd.find((x) => x.target === t && x.round === r)?.coldSec;
  const list = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
  const rows: string[] = [];
  const accepts = ratio(acc, 'switchboard', 'kannel', rounds);
  if (accepts) rows.push(`| Accepts/s on a route whose provider does not answer ÷ Kannel sendsms/s | ${accepts.value.toFixed(2)} (${n0(accepts.a)} vs ${n0(accepts.b)}/s; rounds ${list(accepts.rounds)}) | ≥ 1.0 | ${verdict(accepts.value >= 1)} |`);
  const acceptsNoSync = ratio(acc, 'switchboard-nofsync', 'kannel', rounds);
  if (acceptsNoSync) rows.push(`| Same, fsync off on our side (Kannel does not fsync) | ${acceptsNoSync.value.toFixed(2)} (${n0(acceptsNoSync.a)} vs ${n0(acceptsNoSync.b)}/s; rounds ${list(acceptsNoSync.rounds)}) | – | – |`);
  const oneCore = ratio(accOneCore, 'switchboard', 'kannel', rounds);
  if (oneCore) rows.push(`| Same, each on one core (every thread of the server pinned to one CPU with taskset, the load generator to the other) | ${oneCore.value.toFixed(2)} (${n0(oneCore.a)} vs ${n0(oneCore.b)}/s; rounds ${list(oneCore.rounds)}) | ≥ 1.0 | ${verdict(oneCore.value >= 1)} |`);
  const koa = ratio(acc, 'switchboard', 'koa', rounds);
  if (koa) rows.push(`| Accepts/s on that route ÷ bare Koa + koa-bodyparser (accept path, no receipts) | ${koa.value.toFixed(2)} (${n0(koa.a)} vs ${n0(koa.b)}/s; rounds ${list(koa.rounds)}) | ≥ 0.35 | ${verdict(koa.value >= 0.35)} |`);
  // Time ratio: Kannel's seconds ÷ ours, so ≥ 1 means we were as fast or faster.
  const e2eSync = ratio(e2e, 'kannel', 'switchboard', rounds);
  if (e2eSync) rows.push(`| ${n0(messages)} messages to the provider, Kannel's time ÷ ours, fsync on (Kannel does not fsync), warm: after ${n0(messages)} through the same processes | ${e2eSync.value.toFixed(2)} (${e2eSync.a.toFixed(2)} s vs ${e2eSync.b.toFixed(2)} s; rounds ${list(e2eSync.rounds)}) | ≥ 1.0 | ${verdict(e2eSync.value >= 1)} |`);
  const e2eColdSync = ratio(e2eCold, 'kannel', 'switchboard', rounds);
  if (e2eColdSync) rows.push(`| Same, cold: the first ${n0(messages)} from a fresh start | ${e2eColdSync.value.toFixed(2)} (${e2eColdSync.a.toFixed(2)} s vs ${e2eColdSync.b.toFixed(2)} s; rounds ${list(e2eColdSync.rounds)}) | ≥ 1.0 | ${verdict(e2eColdSync.value >= 1)} |`);
  const e2eNoSync = ratio(e2e, 'kannel', 'switchboard-nofsync', rounds);
  if (e2eNoSync) rows.push(`| Same (warm), fsync off on our side, like Kannel | ${e2eNoSync.value.toFixed(2)} (${e2eNoSync.a.toFixed(2)} s vs ${e2eNoSync.b.toFixed(2)} s; rounds ${list(e2eNoSync.rounds)}) | – | – |`);
  return [
    ...head,
    `_${ranBy(m, 'kannel')} on ${m.date} against \`${m.commit}\`; load average ${m.loadAvgStart} at the start, ${m.loadAvgEnd} at the end. Kannel ${s.version ?? '(absent)'} from Debian (bearerbox with a fake SMSC and \`store-type = file\`, smsbox, fakesmsc as the SMSC; bench/kannel/kannel.conf.template). ${rounds} alternating rounds; accepts: ${connections} keep-alive connections, ${warmupSec} s warm-up then ${durationSec} s measured; end to end: ${n0(messages)} requests over ${connections} connections, timed from the first request to the ${n0(messages)}-th message at the provider (stamped in a counter process of its own for both: it reads fakesmsc's log for Kannel, and is the Infobip-shaped fake provider Switchboard sends to over HTTP), twice in the same processes: cold from a fresh start, then warm. The accept runs' warm-up does the same for them: a long-running daemon's JIT has compiled its hot paths, and Kannel, compiled C, has nothing to warm. Same client (autocannon in the bench process) for all; a fresh process tree and folder for every run. During the accept runs Kannel hands every message to fakesmsc; Switchboard's route hands each to an in-process mock provider that answers \`queued\` and never sends a receipt (\`outcome: none\`), the end-to-end route to the fake provider over HTTP._`,
    '',
    `**Kannel does not fsync** its store file: its accepts survive a crash of the process, not of the machine. Switchboard fsyncs every group commit; the "fsync off" rows preload libeatmydata into the daemon to show what that costs (the daemon has no such setting).${s.noFsyncSkipped ? ` ${s.noFsyncSkipped}.` : ''}${s.oneCoreSkipped ? ` ${s.oneCoreSkipped}.` : ''}`,
    '',
    '| What | Measured | Target | Verdict |',
    '|---|---|---|---|',
    ...rows,
    '',
    ...limits(s),
    '| Round | Server | Accepted/s | p50 / p99 latency | non-2xx / errors | Server CPU per request | Of which (per request) |',
    '|---|---|---|---|---|---|---|',
    ...s.accepts.map((r) => `| ${r.round} | ${LABEL[r.target]}${r.oneCore ? ', **one core**' : ''} | ${n0(r.acceptsPerSec)} | ${r.latencyP50Ms} / ${r.latencyP99Ms} ms | ${r.non2xx} / ${r.errors} | ${r.cpuMsPerRequest.toFixed(3)} ms | ${splitText(r)} |`),
    '',
    `| Round | Server | ${n0(messages)} at the provider, warm | All answered, warm | Cold (the first ${n0(messages)}) | non-2xx / errors |`,
    '|---|---|---|---|---|---|',
    ...s.endToEnd.map((r) => `| ${r.round} | ${LABEL[r.target]} | ${r.endToEndSec === undefined ? `not all (${n0(r.arrived)})` : `${r.endToEndSec.toFixed(2)} s`} | ${r.submitSec.toFixed(2)} s | ${r.coldSec === undefined ? '–' : `${r.coldSec.toFixed(2)} s`} | ${r.non2xx} / ${r.errors} |`),
    ...(s.failures.length ? ['', 'Not measured:', '', ...s.failures.map((f) => `- ${f}`)] : []),
    '',
  ].join('\n');
}
