/**
 * Issue 14 against Kannel: in alternating rounds, accepts/s over HTTP on a route whose provider does
 * not answer (Switchboard, with and without fsync) against Kannel's sendsms/s and a bare Koa; then
 * N messages end to end, from the first request to the N-th arrival at the provider (fakesmsc for
 * Kannel, an Infobip-shaped fake for Switchboard); last, accepts again with Kannel and Switchboard
 * each pinned to one core (cores.ts). Same client (autocannon, in the bench process), same
 * connections, a fresh process tree and folder per run; every accept run reads where its server's
 * CPU went, thread by thread.
 *
 * "Without fsync" preloads libeatmydata (Debian `eatmydata`) into the daemon, which turns fsync and
 * fdatasync into no-ops: the daemon has no setting for it, and should not have one. Kannel's file
 * store never fsyncs at all.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { API_KEY, fileStoreHeader, sendBody } from '../config.js';
import { measureAccepts, type LoadResult } from '../load.js';
import { freePort, ROOT, startChild, type Child } from '../procs.js';
import { startArrivals, type Arrivals } from './arrivals.js';
import { cpuSplit, oneCorePlan, pin, readThreads, withBenchOn, type CpuSplit } from './cores.js';
import { findKannel, kannelVersion, startKannel, type KannelBinaries } from './kannel.js';

export type KannelTarget = 'kannel' | 'switchboard' | 'switchboard-nofsync' | 'koa';

export interface KannelAcceptRun extends LoadResult {
  target: KannelTarget;
  round: number;
  cpuMsPerRequest: number;
  /** The server pinned to one CPU and the load generator to the others (cores.ts). */
  oneCore: boolean;
  /** Where the server's CPU went over the measured run: threads for Node, processes for Kannel. */
  split: CpuSplit[];
}

export interface EndToEndRun {
  target: Exclude<KannelTarget, 'koa'>;
  round: number;
  messages: number;
  /** First request → every request answered (the warm pass). */
  submitSec: number;
  /** Warm: after N messages through the same processes, first request → the N-th message at the provider; undefined when not all arrived in time. */
  endToEndSec?: number;
  /** The same from a fresh start: the first N messages. */
  coldSec?: number;
  arrived: number;
  non2xx: number;
  errors: number;
}

export interface KannelSummary {
  /** Why Kannel was not run, when it was not (the other servers still were). */
  skipped?: string;
  version?: string;
  /** Why the no-fsync runs are missing, when they are. */
  noFsyncSkipped?: string;
  /** Why the one-core runs are missing, when they are. */
  oneCoreSkipped?: string;
  settings: { rounds: number; connections: number; warmupSec: number; durationSec: number; messages: number };
  accepts: KannelAcceptRun[];
  endToEnd: EndToEndRun[];
  failures: string[];
}

const EATMYDATA = ['/usr/lib/x86_64-linux-gnu/libeatmydata.so', '/usr/lib/aarch64-linux-gnu/libeatmydata.so', '/usr/lib/libeatmydata.so', '/usr/local/lib/libeatmydata.so'];
const TEXT = (JSON.parse(sendBody()) as { content: { text: string } }).content.text;

/** One line for the console and the report when Kannel is absent. */
export const KANNEL_ABSENT = 'Kannel not installed (no bearerbox, smsbox or fakesmsc): skipped; `apt-get install -y kannel kannel-extras` to compare';

function gatewayYaml(dir: string, port: number, providerPort: number): string {
  return `${fileStoreHeader('bench/kannel/run.ts', dir, port)}providers:
  silent: { plugin: mock, channels: [sms], outcome: none }
  fake: { plugin: infobip, baseUrl: "http://127.0.0.1:${providerPort}", apiKey: bench-infobip-key, from: "12345", channels: [sms] }
routes:
  silent:
    mode: fallback
    steps:
      - { channel: sms, providers: [silent], until: delivered, within: 1h }
  e2e:
    mode: fallback
    steps:
      - { channel: sms, providers: [fake], until: delivered, within: 1h }
`;
}

interface Server {
  port: number;
  /** Every process of the server (not its provider's). */
  pids: number[];
  cpuSeconds(): number;
  stop(): Promise<void>;
  /** End to end: where arrivals at the provider are counted (none for Koa). */
  arrivals?: Arrivals;
  request: { method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: string };
}

async function startServer(target: KannelTarget, dir: string, daemon: { cmd: string; args: string[] }, kannel: KannelBinaries | undefined, eatmydata: string | undefined): Promise<Server> {
  mkdirSync(dir, { recursive: true });
  if (target === 'kannel') {
    const k = await startKannel(kannel!, dir);
    return { port: k.port, pids: k.pids, cpuSeconds: k.cpuSeconds, stop: k.stop, arrivals: k.arrivals, request: { method: 'GET', path: k.sendsmsPath(TEXT) } };
  }
  const port = await freePort();
  if (target === 'koa') {
    const c = await startChild({ name: 'koa', cmd: process.execPath, args: ['--import', 'tsx', join(ROOT, 'bench/baseline-server.ts'), String(port)], cwd: dir, port, readyPath: '/', logFile: join(dir, 'server.log') });
    return { port, pids: [c.pid], cpuSeconds: c.cpuSeconds, stop: () => c.stop(), request: { method: 'POST', path: '/v1/messages' } };
  }
  const provider = await startArrivals(dir, 'infobip');
  const config = join(dir, 'gateway.yaml');
  writeFileSync(config, gatewayYaml(dir, port, provider.port));
  const preload = target === 'switchboard-nofsync' ? { LD_PRELOAD: [eatmydata!, process.env.LD_PRELOAD].filter(Boolean).join(':') } : undefined;
  let d: Child;
  try {
    d = await startChild({ name: target, cmd: daemon.cmd, args: [...daemon.args, 'start', '--config', config], cwd: dir, port, readyPath: '/-/ready', logFile: join(dir, 'server.log'), env: preload });
  } catch (err) {
    await provider.child.stop();
    throw err;
  }
  if (preload && !readFileSync(`/proc/${d.pid}/maps`, 'utf8').includes('libeatmydata')) {
    await Promise.all([d.stop(), provider.child.stop()]);
    throw new Error(`${target}: libeatmydata was not loaded into the daemon`);
  }
  return {
    port,
    pids: [d.pid],
    cpuSeconds: d.cpuSeconds,
    stop: async () => {
      await d.stop();
      await provider.child.stop();
    },
    arrivals: provider,
    request: { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY }, body: sendBody('e2e') },
  };
}

async function acceptRun(target: KannelTarget, round: number, s: Server, o: { connections: number; warmupSec: number; durationSec: number }, oneCore: boolean): Promise<KannelAcceptRun> {
  let cpu0 = 0;
  let threads0 = readThreads(s.pids);
  const measureStart = () => {
    cpu0 = s.cpuSeconds();
    threads0 = readThreads(s.pids);
  };
  let r: LoadResult;
  if (target === 'kannel') {
    const url = `http://127.0.0.1:${s.port}${s.request.path}`;
    if (o.warmupSec > 0) await autocannon({ url, connections: o.connections, duration: o.warmupSec, timeout: 30 });
    measureStart();
    const a = await autocannon({ url, connections: o.connections, duration: o.durationSec, timeout: 30 });
    r = { acceptsPerSec: a['2xx'] / a.duration, accepted: a['2xx'], durationSec: a.duration, latencyP50Ms: a.latency.p50, latencyP99Ms: a.latency.p99, non2xx: a.non2xx, errors: a.errors + a.timeouts };
  } else {
    r = await measureAccepts(s.port, { ...o, route: 'silent' }, measureStart);
  }
  const split = cpuSplit(threads0, readThreads(s.pids), target === 'kannel');
  return { ...r, target, round, oneCore, split, cpuMsPerRequest: ((s.cpuSeconds() - cpu0) * 1000) / Math.max(1, r.accepted) };
}

/** N requests, timed from the first to the N-th arrival beyond `before` at the provider. */
async function timedPass(s: Server, messages: number, connections: number, before: number) {
  const t0 = Date.now();
  const a = await autocannon({ url: `http://127.0.0.1:${s.port}${s.request.path}`, method: s.request.method, headers: s.request.headers, body: s.request.body, connections, amount: messages, timeout: 30 });
  const submitSec = (Date.now() - t0) / 1000;
  const lastAt = a['2xx'] === messages ? await s.arrivals!.waitFor(before + messages, 120_000).catch(() => undefined) : undefined;
  return { submitSec, endToEndSec: lastAt === undefined ? undefined : (lastAt - t0) / 1000, non2xx: a.non2xx, errors: a.errors + a.timeouts };
}

// Twice in the same processes: first from a fresh start, then again once warm. A long-running
// daemon's JIT has long compiled its hot paths; Kannel, compiled C, has nothing to warm.
async function endToEndRun(target: EndToEndRun['target'], round: number, s: Server, messages: number, connections: number): Promise<EndToEndRun> {
  const cold = await timedPass(s, messages, connections, 0);
  const warm = cold.endToEndSec === undefined ? undefined : await timedPass(s, messages, connections, messages);
  return {
    target, round, messages,
    coldSec: cold.endToEndSec,
    endToEndSec: warm?.endToEndSec,
    submitSec: warm?.submitSec ?? cold.submitSec,
    arrived: s.arrivals!.count(),
    non2xx: cold.non2xx + (warm?.non2xx ?? 0),
    errors: cold.errors + (warm?.errors ?? 0),
  };
}

export async function runKannelBench(o: { dir: string; daemon: { cmd: string; args: string[] }; log: (line: string) => void; rounds: number; connections: number; warmupSec: number; durationSec: number; messages: number }): Promise<KannelSummary> {
  const settings = { rounds: o.rounds, connections: o.connections, warmupSec: o.warmupSec, durationSec: o.durationSec, messages: o.messages };
  // Without Kannel the rest still runs: the accept path ÷ Koa and fsync's cost are figures of their own.
  const kannel = findKannel();
  if (!kannel) o.log(KANNEL_ABSENT);
  const version = kannel ? await kannelVersion(kannel) : undefined;
  const eatmydata = EATMYDATA.find((f) => existsSync(f));
  const noFsyncSkipped = eatmydata ? undefined : 'libeatmydata not found: no runs without fsync; `apt-get install -y eatmydata` to add them';
  if (noFsyncSkipped) o.log(noFsyncSkipped);
  if (kannel) o.log(`kannel ${version}: ${kannel.bearerbox}, ${kannel.smsbox}, ${kannel.fakesmsc}`);
  const first: KannelTarget[] = [...(kannel ? (['kannel'] as const) : []), 'switchboard', ...(eatmydata ? (['switchboard-nofsync'] as const) : []), 'koa'];
  const cores = oneCorePlan();
  const oneCoreSkipped = 'skipped' in cores ? cores.skipped : undefined;
  if (oneCoreSkipped) o.log(oneCoreSkipped);
  const summary: KannelSummary = { skipped: kannel ? undefined : KANNEL_ABSENT, version, noFsyncSkipped, oneCoreSkipped, settings, accepts: [], endToEnd: [], failures: [] };
  // Kannel and Switchboard on one core each, after the runs on every core: what the issue's title asks.
  const oneCoreTargets: KannelTarget[] = 'skipped' in cores ? [] : [...(kannel ? (['kannel'] as const) : []), 'switchboard'];
  for (let round = 1; round <= o.rounds; round++) {
    const alternate = <T>(xs: T[]) => (round % 2 === 1 ? xs : [...xs].reverse());
    const runs = [
      ...alternate(first).flatMap((target) => (target === 'koa' ? ['accepts' as const] : (['accepts', 'e2e'] as const)).map((phase) => ({ target, phase }))),
      ...alternate(oneCoreTargets).map((target) => ({ target, phase: 'accepts-one-core' as const })),
    ];
    for (const { target, phase } of runs) {
      const dir = join(o.dir, `r${round}-${target}-${phase}`);
      let s: Server | undefined;
      try {
        s = await startServer(target, dir, o.daemon, kannel, eatmydata);
        const server = s;
        if (phase === 'e2e') {
          const r = await endToEndRun(target as EndToEndRun['target'], round, server, o.messages, o.connections);
          summary.endToEnd.push(r);
          o.log(`kannel round ${round} ${target.padEnd(19)} ${o.messages} end to end: ${r.endToEndSec === undefined ? `not all arrived (${r.arrived})` : `${r.endToEndSec.toFixed(2)} s warm`}, ${r.coldSec === undefined ? '–' : `${r.coldSec.toFixed(2)} s`} cold (warm submitted in ${r.submitSec.toFixed(2)} s; non2xx ${r.non2xx} errors ${r.errors})`);
        } else {
          const oneCore = phase === 'accepts-one-core' && !('skipped' in cores);
          const r = oneCore
            ? await withBenchOn(cores.client, () => {
                pin(server.pids, cores.server);
                return acceptRun(target, round, server, o, true);
              })
            : await acceptRun(target, round, server, o, false);
          summary.accepts.push(r);
          o.log(`kannel round ${round} ${target.padEnd(19)}${oneCore ? ' one core' : ''} ${r.acceptsPerSec.toFixed(0).padStart(6)} accepts/s  p99 ${r.latencyP99Ms} ms  non2xx ${r.non2xx} errors ${r.errors}  CPU/req ${r.cpuMsPerRequest.toFixed(3)} ms (${r.split.map((x) => `${x.part} ${((x.seconds * 1000) / Math.max(1, r.accepted)).toFixed(3)}`).join(', ')})`);
        }
      } catch (err) {
        const line = `round ${round} ${target} ${phase}: ${(err as Error).message}`;
        summary.failures.push(line);
        o.log(`kannel ${line}`);
      } finally {
        await s?.stop();
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return summary;
}
