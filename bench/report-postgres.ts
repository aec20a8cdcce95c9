/**
 * The PostgreSQL part of BENCHMARKS.md (and of `--only postgres`'s report): accepts against the
 * file store in the same rounds, two daemons on one database, timer lag with many pending, and
 * takeover of a killed instance's timers. Every sentence is built from the run's own figures.
 */
import type { AcceptRun } from './accepts.js';
import { describeTally, type LogTally } from './logs.js';
import type { ProfileSummary } from './profile.js';
import { median, mib, mb, n0, n1, pct, r2, verdict, type Summary } from './report.js';
import type { TimerResult } from './timers.js';

const HEADLINE_TABLES = ['messages', 'timers', 'kv', 'attempt_index'];

function pgFigures(s: Summary) {
  const of = (t: AcceptRun['target']) => s.runs.filter((r) => r.target === t);
  const rounds = [...new Set(s.runs.map((r) => r.round))];
  const perRound = (t: AcceptRun['target'], vs: AcceptRun['target']) =>
    rounds.flatMap((round) => {
      const a = s.runs.find((r) => r.round === round && r.target === t);
      const b = s.runs.find((r) => r.round === round && r.target === vs);
      return a && b ? [a.acceptsPerSec / b.acceptsPerSec] : [];
    });
  const file = median(of('empty').map((r) => r.acceptsPerSec));
  const one = median(of('postgres').map((r) => r.acceptsPerSec));
  const two = median(of('postgres-2').map((r) => r.acceptsPerSec));
  return {
    file, one, two,
    oneVsFile: one / file,
    twoVsOne: two / one,
    roundsOne: perRound('postgres', 'empty'),
    roundsTwo: perRound('postgres-2', 'postgres'),
    cpuFile: median(of('empty').map((r) => r.cpuMsPerRequest)),
    cpuOne: median(of('postgres').map((r) => r.cpuMsPerRequest)),
    cpuTwo: median(of('postgres-2').map((r) => r.cpuMsPerRequest)),
    pgCpuOne: median(of('postgres').map((r) => r.pgCpuMsPerRequest ?? NaN)),
    pgCpuTwo: median(of('postgres-2').map((r) => r.pgCpuMsPerRequest ?? NaN)),
  };
}

const range = (xs: number[]) => (xs.length ? `${r2(Math.min(...xs))}–${r2(Math.max(...xs))}` : 'n/a');
const firstError = (s: Summary, target: AcceptRun['target']) => s.postgres?.failed.find((f) => f.target === target)?.error;

/** Rows for "Results against the targets". */
export function pgTargetRows(s: Summary): string[] {
  const p = s.postgres;
  if (!p) return [];
  if (!p.server) return [`| PostgreSQL scenarios | not measured: ${p.error ?? 'no cluster'} | | **FAIL** |`];
  const f = pgFigures(s);
  const rows: string[] = [];
  rows.push(Number.isFinite(f.one)
    ? `| Accepts/s on PostgreSQL, one daemon, ÷ file store (empty) in the same rounds | ${r2(f.oneVsFile)} (${n0(f.one)} vs ${n0(f.file)} req/s; rounds ${range(f.roundsOne)}) | ≥ 0.5 | ${verdict(f.oneVsFile >= 0.5)} |`
    : `| Accepts/s on PostgreSQL, one daemon, ÷ file store | not measured: ${firstError(s, 'postgres') ?? 'no run'} | ≥ 0.5 | **FAIL** |`);
  rows.push(Number.isFinite(f.two)
    ? `| Two daemons on one database (load split) ÷ one daemon | ${r2(f.twoVsOne)} (${n0(f.two)} vs ${n0(f.one)} req/s; rounds ${range(f.roundsTwo)}) | report (2 shared cores: coordination cost, not scale) | – |`
    : `| Two daemons on one database ÷ one daemon | not measured: ${firstError(s, 'postgres-2') ?? 'no run'} | report | – |`);
  const t = p.timers;
  rows.push(t
    ? `| Fallback-timer lag p99 on PostgreSQL, ${n0(t.pending)} pending (exact, ${n0(t.sample.size)} sampled histories) | ${lagFigure(t)} | ≤ 250 ms | ${verdict(t.sample.fireP99 <= 250 && t.sample.missing === 0)} |`
    : `| Fallback-timer lag p99 on PostgreSQL | not measured: ${p.timerError ?? 'skipped'} | ≤ 250 ms | **FAIL** |`);
  const ks = p.takeovers;
  if (ks.length) {
    const lease = ks[0].leaseMs;
    const worst = Math.max(...ks.map((k) => k.fromKill.max));
    const ok = ks.every((k) => k.heldAtKill > 0 && k.fired === k.heldAtKill && k.fromKill.max <= k.leaseMs + 1000);
    rows.push(`| Takeover of a killed instance's timers (\`store.lease: ${p.lease}\`), kill → fired by the survivor, worst of ${ks.length} runs | ${n0(worst)} ms (runs: ${ks.map((k) => `${n0(k.fromKill.max)} ms for ${k.fired}/${k.heldAtKill} held`).join('; ')}; lease end → fired: ${ks.map((k) => `${n0(k.fromExpiry.min)}…${n0(k.fromExpiry.max)} ms`).join(', ')}) | ≤ lease + 1 s = ${n0(lease + 1000)} ms | ${verdict(ok)} |`);
  } else rows.push(`| Takeover of a killed instance's timers (\`store.lease: ${p.lease}\`) | not measured: ${p.takeoverError ?? 'skipped'} | ≤ lease + 1 s | **FAIL** |`);
  return rows;
}

function lagFigure(t: TimerResult): string {
  const base = `${n0(t.sample.fireP99)} ms (p50 ${n0(t.sample.fireP50)} ms, max ${n0(t.sample.fireMax)} ms`;
  const left = t.histogram.count < t.dueInWindow ? `; only ${n0(t.histogram.count)} of ${n0(t.dueInWindow)} had fired when the bench stopped waiting` : '';
  const window = t.dueInWindow < t.pending ? `; the ${n0(t.dueInWindow)} due in the first ${n0(t.firingWindowSec)} s, ≈ ${n0(t.dueInWindow / Math.max(1, t.firingWindowSec))}/s` : '';
  const missing = t.sample.missing ? `; ${t.sample.missing} of the sample never recorded it` : '';
  return `${base}${window}${left}${missing})`;
}

function serverName(r: AcceptRun): string {
  if (r.target === 'empty') return 'file store, empty';
  if (r.target === 'postgres') return 'PostgreSQL, one daemon';
  return 'PostgreSQL, two daemons on one database';
}

/** The `## PostgreSQL store` section. */
export function renderPostgres(s: Summary): string[] {
  const p = s.postgres!;
  const out = ['## PostgreSQL store', ''];
  if (!p.server) {
    out.push(`Not measured: the PostgreSQL cluster did not start (${p.error ?? 'unknown'}).`, '');
    return out;
  }
  const set = p.server.settings;
  const fast = set.fsync === 'off' || set.synchronous_commit === 'off';
  out.push(`PostgreSQL ${p.server.version}, the tests' throwaway cluster (\`startCluster()\` in \`test/helpers/postgres.ts\`: \`initdb\` into a temp folder, loopback TCP), on the same 2 cores as the daemons and the load generator; one fresh database per run. Server settings as it reported them: \`fsync=${set.fsync}\`, \`synchronous_commit=${set.synchronous_commit}\`, \`full_page_writes=${set.full_page_writes}\`, \`shared_buffers=${set.shared_buffers}\`.${fast ? ' **With fsync off, a PostgreSQL commit is never flushed to disk, while the file store datasyncs every group commit: the PostgreSQL figures below are measured without the durability cost the file store pays.**' : ''} The daemon talks to it through its default pool; PostgreSQL's own CPU (postmaster and backends, from /proc) is counted apart from the daemon's.`, '');

  const f = pgFigures(s);
  const runs = s.runs.filter((r) => r.target === 'empty' || r.target === 'postgres' || r.target === 'postgres-2');
  out.push(`### Accepts`, '');
  out.push(`The same load as the file-store runs (${s.settings.connections} connections, ${s.settings.warmupSec} s + ${s.settings.durationSec} s, the one-step SMS route with receipts), in the same rounds, so each PostgreSQL run has a file-store run beside it. Two daemons: started one after the other on one fresh database, the ${s.settings.connections} connections split between them (autocannon per daemon, run together); their accepts add up, latency is the worse of the two, CPU is both daemons' together.`, '');
  out.push('| Round | Server | Accepted/s | ÷ file store, same round | p50 / p99 latency | non-2xx / errors | Daemon CPU per request | PostgreSQL CPU per request | Startup | RSS after (peak) |', '|---|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) {
    const file = s.runs.find((x) => x.round === r.round && x.target === 'empty');
    const ratio = r.target === 'empty' || !file ? '–' : r2(r.acceptsPerSec / file.acceptsPerSec);
    const split = r.perServer ? ` (${r.perServer.map((x) => n0(x.acceptsPerSec)).join(' + ')})` : '';
    out.push(`| ${r.round} | ${serverName(r)} | ${n0(r.acceptsPerSec)}${split} | ${ratio} | ${r.latencyP50Ms} / ${r.latencyP99Ms} ms | ${r.non2xx} / ${r.errors} | ${r.cpuMsPerRequest.toFixed(2)} ms | ${r.pgCpuMsPerRequest === undefined ? '–' : `${r.pgCpuMsPerRequest.toFixed(2)} ms`} | ${r.startupSec.toFixed(1)} s | ${mib(r.rssAfter)} (${mib(r.rssPeak)}) |`);
  }
  for (const x of p.failed) out.push(`| ${x.round} | ${serverName({ target: x.target } as AcceptRun)} | not measured | | | | | | | ${x.error.replace(/\|/g, '/')} |`);
  out.push('');
  if (Number.isFinite(f.one)) {
    out.push(`Medians: file store ${n0(f.file)}/s at ${f.cpuFile.toFixed(2)} ms of daemon CPU per accept; PostgreSQL ${n0(f.one)}/s (${r2(f.oneVsFile)} of the file store) at ${f.cpuOne.toFixed(2)} ms of daemon CPU plus ${f.pgCpuOne.toFixed(2)} ms of PostgreSQL CPU per accept${Number.isFinite(f.two) ? `; two daemons ${n0(f.two)}/s (${r2(f.twoVsOne)} of one) at ${f.cpuTwo.toFixed(2)} ms + ${f.pgCpuTwo.toFixed(2)} ms` : ''}. On 2 cores shared by the load generator, the daemons and PostgreSQL, CPU per accept is what sets the rate: a second daemon adds no core, only its own coordination work.`, '');
    const db = (t: AcceptRun['target']) => {
      const xs = s.runs.filter((r) => r.target === t && r.dbPerRequest).map((r) => r.dbPerRequest!);
      return xs.length ? { x: median(xs.map((d) => d.transactions)), w: median(xs.map((d) => d.rowsWritten)), r: median(xs.map((d) => d.rowsRead)) } : undefined;
    };
    const d1 = db('postgres');
    const d2 = db('postgres-2');
    if (d1) out.push(`Database work per accepted message (\`pg_stat_database\` of the run's database over the measured run, medians; a statement outside a transaction counts as one transaction, and the counters lag by up to a second): one daemon ${n1(d1.x)} transactions, ${n1(d1.w)} rows written, ${n1(d1.r)} rows read${d2 ? `; two daemons ${n1(d2.x)} transactions, ${n1(d2.w)} rows written, ${n1(d2.r)} rows read` : ''}.`, '');
  }

  for (const target of ['postgres', 'postgres-2'] as const) {
    const logged = mergeTallies(runs.filter((r) => r.target === target).flatMap((r) => r.daemonLog ?? []));
    if (logged.length) out.push(`What the daemons logged (warn and up) over the ${target === 'postgres' ? 'one-daemon' : 'two-daemon'} runs: ${describeTally(logged)}.`, '');
  }
  out.push(...renderPgProfiles(s));

  out.push('### Fallback timers', '');
  const t = p.timers;
  if (!t) out.push(`Not measured: ${p.timerError ?? 'skipped'}.`, '');
  else out.push(...renderPgTimers(s, t));

  out.push('### Takeover of a dead instance\'s timers', '');
  const ks = p.takeovers;
  if (ks.length === 0) {
    out.push(`Not measured: ${p.takeoverError ?? 'skipped'}. The scenario (bench/takeover.ts): two daemons on one database with \`store.lease: ${p.lease}\`; 100 pending fallbacks written into the tables come due within 100 ms; B is frozen (SIGSTOP) from just before the first due time until A has claimed timers and been killed with SIGKILL, so every lease in \`timers\` at that moment is A's; B is thawed at once and must fire each held timer after its lease runs out. Takeover is read from each message's history (\`step_timed_out\`, step 0) against \`lease_until\` as the table held it at the kill, and against the kill.`, '');
  } else {
    const k = ks[0];
    out.push(`Two daemons, A and B, on one fresh database per run with \`store.lease: ${p.lease}\`. ${n0(k.submitted)} messages on the fallback route, as the store leaves them after their WhatsApp send, were written into the tables (\`switchboard migrate\`, then rows of \`messages\` and unleased rows of \`timers\`); once both daemons were ready, their step timers were set to come due 3 s later, all within 100 ms, so that one instance claims many at once (the scheduler claims up to 128 a query and runs up to 512). B was frozen (SIGSTOP) from 0.5 s before the first due time until A, having claimed timers, was killed with SIGKILL (100 ms after its first claim, or once it held them all; A claims up to 250 ms ahead of the due time, so this can come before it). The leased rows of \`timers\` were read right after the kill with B still frozen, so they are all A's (one owner in every run); then B was thawed (SIGCONT), more than a second before those leases ran out. Each held timer's takeover is read from its message's history (\`step_timed_out\` of step 0, the last one if there are two) against \`lease_until\` as the table held it at the kill, and against the kill. ${ks.length} runs, each on its own database.`, '');
    out.push('| Run | Held by A at the kill | Kill after first due | A\'s leases end after the kill | Kill → fired, p50 / max | Lease end → fired, min / p50 / max | Held fired twice | Second SMS attempts | Messages with exactly one step-0 timeout |', '|---|---|---|---|---|---|---|---|---|');
    ks.forEach((x, i) => out.push(`| ${i + 1} | ${n0(x.heldAtKill)} of ${n0(x.submitted)} (fired by the end: ${n0(x.fired)}) | ${n0(x.killAfterFirstDueMs)} ms | ${n0(x.leaseEndAfterKillMs.min)}–${n0(x.leaseEndAfterKillMs.max)} ms | ${n0(x.fromKill.p50)} / ${n0(x.fromKill.max)} ms | ${n0(x.fromExpiry.min)} / ${n0(x.fromExpiry.p50)} / ${n0(x.fromExpiry.max)} ms | ${n0(x.firedTwice)} | ${n0(x.extraSends)} | ${n0(x.allOnce)} of ${n0(x.submitted)}${x.allMissing ? ` (${n0(x.allMissing)} none)` : ''} |`));
    out.push('', ...ks.map((x, i) => `Run ${i + 1}: B logged (warn and up) ${describeTally(x.survivorLog)}.`));
    out.push('');
  }
  out.push(...renderPgLimits(s));
  return out;
}

function renderPgTimers(s: Summary, t: TimerResult): string[] {
  const p = s.postgres!;
  const out: string[] = [];
  const route = `the fallback-timer route of the file-store phase (WhatsApp never answers, \`within: ${t.withinSec}s\`; then SMS that never answers, \`within: 1h\`)`;
  if (t.via === 'api' && t.submitted) {
    const sub = t.submitted;
    out.push(`${n0(t.pending)} messages on ${route} were submitted through \`POST /v1/messages\` at a fixed ${n0(sub.ratePerSec)}/s to a daemon on a fresh database: ${n0(sub.accepted)} accepted in ${n1(sub.durationSec)} s (p99 ${sub.latencyP99Ms} ms; ${sub.non2xx} non-2xx, ${sub.errors} errors); the daemon then reported ${n0(t.pendingSeen)} pending timers.`, '');
  } else if (t.seeded) {
    out.push(`${n0(t.pending)} messages on ${route} were written into the tables as the store leaves them after the WhatsApp send (rows of \`messages\`, ${mb(t.seeded.segmentBytes)} of JSON, and unleased rows of \`timers\`, batches of 5,000 through \`unnest\`, after \`switchboard migrate\`; ${n1(t.seeded.seconds ?? NaN)} s, every due time then moved later by that long so the margin stays whole), because through the API they would arrive at the rate they come due: ${n0(p.spreadSec)} s of submitting for ${n0(p.watchSec)} s of watching. The daemon started on that database (${n1(t.startupSec)} s to ready; it reported ${n0(t.pendingSeen)} pending timers).`, '');
  }
  const watched = t.dueInWindow < t.pending;
  out.push(`${watched ? `Their due times spread evenly over ${n0(p.spreadSec)} s (≈ ${n0(t.pending / Math.max(1, p.spreadSec))} due per second); the bench watched the first ${n1(t.firingWindowSec)} s of them — ${n0(t.dueInWindow)} timers, while the other ≈ ${n0(t.pending - t.dueInWindow)} stayed pending — and judged only those. The file-store phase fires ${s.timers ? `${n0(s.timers.pending / Math.max(1, s.timers.firingWindowSec))}/s` : `${n0(s.settings.pending / 60)}/s in the full bench`}; this rate is ten times lower because one daemon on PostgreSQL fires far fewer per second (below), and at the file store's rate the lag would only measure the backlog.` : `They came due over ${n1(t.firingWindowSec)} s (≈ ${n0(t.pending / Math.max(1, t.firingWindowSec))} due per second, as in the file-store phase).`} The daemon fired ${n0(t.firedPerSec)}/s from the first due time until the histogram ${t.histogram.count >= t.dueInWindow ? `counted all ${n0(t.dueInWindow)} (${n1(t.lastFireAfterLastDueSec)} s after the last watched due time)` : `stopped being watched with ${n0(t.histogram.count)} counted, ${n1(t.lastFireAfterLastDueSec)} s after the last due time`}.`, '');
  out.push('| Lag measure | p50 | p99 | max |', '|---|---|---|---|');
  out.push(`| Timer fired → \`step_timed_out\` recorded, minus due time (exact, sample of ${n0(t.sample.size)}${t.sample.missing ? `, ${t.sample.missing} missing` : ''}) | ${n0(t.sample.fireP50)} ms | ${n0(t.sample.fireP99)} ms | ${n0(t.sample.fireMax)} ms |`);
  out.push(`| SMS fallback handed to the provider (\`attempt_sent\`, step 1) minus due time | ${n0(t.sample.sendP50)} ms | ${n0(t.sample.sendP99)} ms | ${n0(t.sample.sendMax)} ms |`);
  // JSON keeps Infinity as null.
  const inf = (x: number | null) => x === null || x === Infinity;
  const b = (q: { value: number; lower: number; upper: number | null }) => `${n0(q.value * 1000)} ms (bucket ${n0(q.lower * 1000)}–${inf(q.upper) ? '+Inf' : n0(q.upper! * 1000)} ms)`;
  out.push(`| \`switchboard_scheduler_lag_seconds{kind="step-timeout"}\` (${n0(t.histogram.count)} observations, interpolated) | ${b(t.histogram.p50)} | ${b(t.histogram.p99)} | ≤ ${inf(t.histogram.max) ? '+Inf' : `${n0(t.histogram.max * 1000)} ms`} (bucket) |`);
  out.push('');
  const pg = t.postgres;
  const tables = (x: { bytes: Record<string, number>; timers: number }) => HEADLINE_TABLES.filter((n) => x.bytes[n] !== undefined).map((n) => `\`${n}\` ${mb(x.bytes[n])}`).join(', ');
  out.push(`CPU per fired fallback: daemon ${r2(t.cpuMsPerFallback)} ms${pg ? `, PostgreSQL ${r2(pg.cpuMsPerFallback)} ms` : ''} (over the firing window, scrapes included); longest event-loop stall the daemon reported ${n0(t.loopLagMaxMs)} ms. RSS ${mib(t.rssAtReady)} at ready, ${mib(t.rssPendingIdle)} with the ${n0(t.pending)} pending (V8 heap in use ${mib(t.heapUsedPendingIdle)}), ${mib(t.rssPeakWhileFiring)} at most while they fired.${pg ? ` Tables with the ${n0(t.pending)} pending: ${tables(pg.tablesIdle)} (${n0(pg.tablesIdle.timers)} timer rows); at the end: ${tables(pg.tablesEnd)} (${n0(pg.tablesEnd.timers)} timer rows).` : ''}`, '');
  out.push(`The daemon logged (warn and up) over the phase: ${describeTally(t.daemonLog)}.${t.histogram.count > t.dueInWindow ? ` Its histogram counted ${n0(t.histogram.count)} claims for ${n0(t.dueInWindow)} timers due in the window: the scheduler observes lag at each claim, so a timer claimed more than once (released after a failed handler, or its lease taken over) is counted each time.` : ''}`, '');
  const due = t.dueInWindow / Math.max(1, t.firingWindowSec);
  if (t.firedPerSec < 0.9 * due) {
    out.push(`The daemon fired fewer per second (${n0(t.firedPerSec)}) than came due (${n0(due)}): the backlog, not the scheduler, makes the lag. At ${r2(t.cpuMsPerFallback)} ms of daemon CPU${pg ? ` and ${r2(pg.cpuMsPerFallback)} ms of PostgreSQL CPU` : ''} per fallback, ${n0(due)} fallbacks/s would need ≈ ${n1((due * (t.cpuMsPerFallback + (pg?.cpuMsPerFallback ?? 0))) / 1000)} cores.`, '');
  }
  return out;
}

/** One daemon against two: the database's own counters per accept, as a sentence. */
function dbWork(s: Summary): string {
  const med = (t: AcceptRun['target'], k: 'transactions' | 'rowsWritten' | 'rowsRead') => median(s.runs.filter((r) => r.target === t && r.dbPerRequest).map((r) => r.dbPerRequest![k]));
  if (!Number.isFinite(med('postgres', 'transactions')) || !Number.isFinite(med('postgres-2', 'transactions'))) return '';
  return ` Per accept, the database counted ${n1(med('postgres-2', 'transactions'))} transactions and ${n1(med('postgres-2', 'rowsRead'))} rows read with two daemons, against ${n1(med('postgres', 'transactions'))} and ${n1(med('postgres', 'rowsRead'))} with one.`;
}

/** Why the PostgreSQL targets are (not) met: the figures above, tied to what produced them. */
function renderPgLimits(s: Summary): string[] {
  const p = s.postgres!;
  const f = pgFigures(s);
  const out = ['### What limits it on PostgreSQL', ''];
  const fsync = p.server?.settings.fsync === 'off';
  if (Number.isFinite(f.one)) {
    out.push(`- **Accepts: CPU per message, in two processes.** One daemon on PostgreSQL used ${f.cpuOne.toFixed(2)} ms of its own CPU per accept (file store: ${f.cpuFile.toFixed(2)} ms), and PostgreSQL another ${f.pgCpuOne.toFixed(2)} ms, on the same 2 cores as the load generator: ${n1((f.cpuOne + f.pgCpuOne) / Math.max(1e-9, f.cpuFile))}× the file store's CPU per accept, hence ${r2(f.oneVsFile)} of its rate${fsync ? ', and that with PostgreSQL not flushing anything to disk (fsync off)' : ''}.${p.profiles?.one ? ` Profiled alone, the daemon's busiest areas were ${p.profiles.one.selfByArea.slice(0, 4).map((a) => `${a.area} ${pct(a.share)}`).join(', ')} (self), leaving out the ${pct(p.profiles.one.socketWrites)} of its busy samples taken inside a socket write: V8 samples wall-clock time, and a write that wakes PostgreSQL on the same 2 cores often loses the CPU inside the call.` : ''}`);
  }
  if (Number.isFinite(f.two)) {
    out.push(`- **Two daemons: each accept costs more, not less.** With the load split over two daemons on one database, CPU per accept rose to ${f.cpuTwo.toFixed(2)} ms in the daemons and ${f.pgCpuTwo.toFixed(2)} ms in PostgreSQL (one daemon: ${f.cpuOne.toFixed(2)} + ${f.pgCpuOne.toFixed(2)} ms), so the pair accepted ${r2(f.twoVsOne)} of what one did. On 2 shared cores a second process adds no CPU, only its own share of the coordination (its pools, its LISTEN and liveness sessions, its claims and their wake-ups).${p.profiles?.two ? ` Profiled beside a second daemon, the busiest areas were ${p.profiles.two.selfByArea.slice(0, 4).map((a) => `${a.area} ${pct(a.share)}`).join(', ')} (self); its hottest function was \`${p.profiles.two.topSelf[0]?.fn}\` ${pct(p.profiles.two.topSelf[0]?.share ?? 0)}${p.profiles.two.topSelf[0]?.via ? `, reached mostly from ${p.profiles.two.topSelf[0].via.split('; ')[0]}` : ''} (alone: \`${p.profiles.one?.topSelf[0]?.fn}\` ${pct(p.profiles.one?.topSelf[0]?.share ?? 0)}${p.profiles.one?.topSelf[0]?.via ? `, mostly from ${p.profiles.one.topSelf[0].via.split('; ')[0]}` : ''}).` : ''}${dbWork(s)}`);
  }
  const t = p.timers;
  if (t) {
    const cores = (t.firedPerSec * (t.cpuMsPerFallback + (t.postgres?.cpuMsPerFallback ?? 0))) / 1000;
    out.push(`- **Timer lag: handler throughput.** Each fired fallback cost ${r2(t.cpuMsPerFallback)} ms of daemon CPU and ${r2(t.postgres?.cpuMsPerFallback ?? NaN)} ms of PostgreSQL CPU ${s.timers ? ` (file store: ${r2(s.timers.cpuMsPerFallback)} ms)` : ''}; at ${n0(t.firedPerSec)} fired/s that is ≈ ${n1(cores)} cores. The scheduler's own lag (claim time − due, its histogram) was p50 ${n0(t.histogram.p50.value * 1000)} ms; \`step_timed_out\` came p50 ${n0(t.sample.fireP50)} ms and p99 ${n0(t.sample.fireP99)} ms after the due time, so the time goes between the claim and the handler's commit. The daemon logged ${describeTally(t.daemonLog)}.`);
  }
  if (p.takeovers.length) {
    const ks = p.takeovers;
    out.push(`- **Takeover: the lease, then the survivor's throughput.** The first of A's held timers fired ${ks.map((k) => `${n0(k.fromExpiry.min)} ms`).join(', ')} after its lease ran out (per run); the last ${ks.map((k) => `${n0(k.fromExpiry.max)} ms`).join(', ')}. Detection is bounded by the lease: B sleeps until the earliest \`lease_until\` and claims then (a lease counts until it has run out; only due times are looked ahead).${ks.some((k) => k.fromExpiry.min < 0 || k.killAfterFirstDueMs < 0) ? ' The kill came before the first due time: A held these timers claimed ahead of it (look-ahead min(250 ms, lease / 5)).' : ''} What follows is B working through ${ks.map((k) => n0(k.heldAtKill)).join(', ')} fallbacks at once, at the handler throughput of the previous point.`);
  }
  out.push(`- **Noise.** The PostgreSQL server shares the 2 cores with the daemons and the load generator (and, during this run, with whatever else ran on the machine: load average at start ${s.machine.loadAvg}${s.machine.loadAvgEnd ? `, at the end ${s.machine.loadAvgEnd}` : ''}); each PostgreSQL run sits beside a file-store run of the same round, and the per-round ratios are listed.`, '');
  return out;
}

function mergeTallies(xs: LogTally[]): LogTally[] {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x.what, (m.get(x.what) ?? 0) + x.count);
  return [...m].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([what, count]) => ({ what, count }));
}

function renderPgProfiles(s: Summary): string[] {
  const { one, two } = s.postgres!.profiles ?? {};
  if (!one && !two) return [];
  const out = ['### Where a daemon on PostgreSQL spends its CPU', ''];
  const cols = [one && ['alone', one], two && ['beside a second daemon', two]].filter(Boolean) as [string, ProfileSummary][];
  out.push(`Separate daemons, not among the measured runs, each on a fresh database under \`node --cpu-prof\` with the same load (${s.settings.warmupSec} s + ${s.settings.durationSec} s, ${s.settings.connections} connections; beside a second daemon, the profiled one gets half of them). ${cols.map(([name, p]) => `${name[0].toUpperCase()}${name.slice(1)}: ${n0(p.load.acceptsPerSec)} accepts/s by the profiled daemon, ${pct(p.busy)} of its ${n0(p.samples)} samples busy`).join('; ')}. Shares are of busy samples; builtins count for their nearest JavaScript caller.`, '');
  const areas = [...new Set(cols.flatMap(([, p]) => p.selfByArea.slice(0, 9).map((a) => a.area)))];
  out.push(`| Area (innermost frame) | ${cols.map(([n]) => `Self, ${n} | On the stack, ${n}`).join(' | ')} |`, `|---|${cols.map(() => '---|---|').join('')}`);
  for (const area of areas) out.push(`| ${area} | ${cols.map(([, p]) => `${pct(p.selfByArea.find((a) => a.area === area)?.share ?? 0)} | ${pct(p.inclusiveByArea.find((a) => a.area === area)?.share ?? 0)}`).join(' | ')} |`);
  out.push('');
  for (const [name, p] of cols) {
    out.push(`Hottest functions (self), ${name}: ${p.topSelf.slice(0, 8).map((x) => `\`${x.fn}\` ${pct(x.share)}${x.via ? ` (from ${x.via.split('; ')[0]})` : ''}`).join(', ')}. Inclusive: ${p.inclusiveFns.map((x) => `\`${x.fn}\` ${pct(x.share)}`).join(', ')}.`, '');
  }
  return out;
}

/** `--only postgres`: the machine, the PostgreSQL targets and section, nothing of the file-store phases. */
export function renderPostgresOnly(s: Summary): string {
  const m = s.machine;
  const lines = ['# Benchmarks: PostgreSQL scenarios only', ''];
  lines.push(`Written by \`npm run bench -- --only postgres\` on ${m.date}, against commit \`${m.commit}\`${m.srcDirty ? ' (with uncommitted changes in src/ or plugins/)' : ''}; ${m.cpus} CPUs (${m.cpuModel}), shared and noisy, load average at start ${m.loadAvg}; Node ${m.node}; daemon ${m.daemonBuild}; whole run ${(s.settings.totalSec / 60).toFixed(1)} min. The file-store runs are the empty-store accept runs of the full bench, in the same rounds, for the ratio.`, '');
  lines.push('| What | Measured | Target | Verdict |', '|---|---|---|---|', ...pgTargetRows(s), '');
  lines.push(...renderPostgres(s));
  return lines.join('\n');
}

export function renderPostgresStdout(s: Summary): string {
  const p = s.postgres;
  if (!p) return '';
  if (!p.server) return `postgres: not measured (${p.error})`;
  const f = pgFigures(s);
  const out = [
    `postgres (fsync=${p.server.settings.fsync}):`,
    `  one daemon:   ${n0(f.one)} accepts/s   ${r2(f.oneVsFile)} of the file store's ${n0(f.file)}/s (target ≥ 0.5)${Number.isFinite(f.one) ? '' : `  ${firstError(s, 'postgres')}`}`,
    `  two daemons:  ${Number.isFinite(f.two) ? `${n0(f.two)} accepts/s   ${r2(f.twoVsOne)} of one` : `not measured: ${firstError(s, 'postgres-2')}`}`,
  ];
  const t = p.timers;
  out.push(t ? `  timer lag, ${n0(t.pending)} pending (${t.via}): p99 ${n0(t.sample.fireP99)} ms exact, ${n0(t.firedPerSec)} fired/s (target ≤ 250 ms)` : `  timer lag: not measured: ${p.timerError}`);
  for (const k of p.takeovers) out.push(`  takeover (lease ${p.lease}): ${k.fired}/${k.heldAtKill} held timers fired; kill → fired max ${n0(k.fromKill.max)} ms, lease end → fired ${n0(k.fromExpiry.min)}…${n0(k.fromExpiry.max)} ms (target ≤ ${n0(k.leaseMs + 1000)} ms from the kill)`);
  if (p.takeovers.length === 0) out.push(`  takeover: not measured: ${p.takeoverError}`);
  return out.join('\n');
}
