/**
 * Issue 14's "the RSS after a 100k burst returns near the live heap". A fresh daemon on an empty
 * store (the `accepts` scenario: one SMS step, delivered 1 s after each send) is read once ready,
 * then takes `amount` messages as fast as 50 connections can send them, and is read again once
 * every one of them is delivered and the store has settled. Each reading: RSS, and the live V8
 * heap (`nodejs_heap_size_used_bytes` right after two full collections, bench/gc-on-signal.mjs).
 * What is not heap — code, the allocator's arenas, buffers — is RSS − live heap; each reading
 * also says where it is: V8's spaces (young generation, old space) and glibc's main arena.
 *
 * BENCH_BURST_NODE_ARGS (space-separated) adds node flags to the daemon's command line, to measure
 * a flag before the unit and `npm start` pass it.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeConfig } from './config.js';
import { submit } from './load.js';
import { gauge, scrape } from './metrics.js';
import { freePort, ROOT, startChild } from './procs.js';

export interface MemoryReading {
  rss: number;
  liveHeap: number;
  /** V8's heap as reserved from the system (used or not). */
  heapTotal: number;
  /** Memory V8 does not manage but JavaScript objects hold (Buffers and the like). */
  external: number;
  /** V8's young generation (both semi-spaces and its large objects) as reserved, and old space's reserved and used. */
  young: number;
  oldReserved: number;
  oldUsed: number;
  /** Resident bytes of glibc's main arena (`[heap]`, malloc's brk heap) and of other anonymous memory. */
  mainArena: number;
  anon: number;
}

export interface BurstMemory {
  amount: number;
  accepted: number;
  acceptsPerSec: number;
  /** Seconds from the last accept until every message was delivered. */
  drainSec: number;
  ready: MemoryReading;
  /** RSS at its highest while the burst ran and drained (sampled every 200 ms). */
  rssPeak: number;
  after: MemoryReading;
  /** How long after the drain `after` was read. */
  settleSec: number;
  /** The daemon's CPU (all threads) per accepted message while the burst ran, µs: throughput that the machine's other load does not skew as much. */
  cpuMicrosPerMessage: number;
  nodeArgs: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resident bytes of the main arena and of anonymous mappings (V8's pages among them), from smaps. */
function mappings(pid: number): { mainArena: number; anon: number } {
  let [mainArena, anon, current] = [0, 0, ''];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) current = head[1];
    else if (line.startsWith('Rss:')) {
      const bytes = Number(line.split(/\s+/)[1]) * 1024;
      if (current === '[heap]') mainArena += bytes;
      else if (current === '') anon += bytes;
    }
  }
  return { mainArena, anon };
}

/** RSS and live heap once the daemon has collected twice. */
async function read(port: number, pid: number, rss: () => number): Promise<MemoryReading> {
  process.kill(pid, 'SIGUSR2');
  await sleep(1000);
  const text = await scrape(port);
  const g = (name: string, labels: Record<string, string> = {}) => gauge(text, name, labels) ?? NaN;
  const space = (name: string, which: 'total' | 'used') => g(`nodejs_heap_space_size_${which}_bytes`, { space: name });
  return {
    rss: rss(), liveHeap: g('nodejs_heap_size_used_bytes'), heapTotal: g('nodejs_heap_size_total_bytes'), external: g('nodejs_external_memory_bytes'),
    young: space('new', 'total') + space('new_large_object', 'total'), oldReserved: space('old', 'total'), oldUsed: space('old', 'used'),
    ...mappings(pid),
  };
}

const delivered = async (port: number) => gauge(await scrape(port), 'switchboard_messages_total', { outcome: 'delivered' }) ?? 0;

export async function runBurstMemory(o: { dir: string; daemon: { cmd: string; args: string[] }; amount: number; settleSec: number; log: (line: string) => void }): Promise<BurstMemory> {
  mkdirSync(o.dir, { recursive: true });
  const port = await freePort();
  const nodeArgs = (process.env.BENCH_BURST_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const config = writeConfig(o.dir, { port, dataDir: join(o.dir, 'data'), scenario: 'accepts' });
  const d = await startChild({
    name: 'burst', cmd: o.daemon.cmd, cwd: o.dir, port, readyPath: '/-/ready', logFile: join(o.dir, 'daemon.log'),
    args: ['--expose-gc', ...nodeArgs, '--import', join(ROOT, 'bench/gc-on-signal.mjs'), ...o.daemon.args, 'start', '--config', config],
  });
  try {
    const rss = () => d.memory().rss;
    const ready = await read(port, d.pid, rss);
    let rssPeak = rss();
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rss())), 200);
    const cpuBefore = d.cpuSeconds();
    const load = await submit(port, { amount: o.amount, connections: 50, ratePerSec: 1_000_000 });
    const cpuMicrosPerMessage = ((d.cpuSeconds() - cpuBefore) * 1e6) / load.accepted;
    const lastAccept = Date.now();
    while ((await delivered(port)) < load.accepted && Date.now() - lastAccept < 600_000) await sleep(500);
    const drainSec = (Date.now() - lastAccept) / 1000;
    clearInterval(sampler);
    o.log(`burst: ${load.accepted} accepted at ${load.acceptsPerSec.toFixed(0)}/s, delivered ${drainSec.toFixed(1)} s after the last; RSS peak ${(rssPeak / 2 ** 20).toFixed(0)} MiB, ${cpuMicrosPerMessage.toFixed(0)} µs of CPU per message`);
    await sleep(o.settleSec * 1000);
    const after = await read(port, d.pid, rss);
    return { amount: o.amount, accepted: load.accepted, acceptsPerSec: load.acceptsPerSec, drainSec, ready, rssPeak, after, settleSec: o.settleSec, cpuMicrosPerMessage, nodeArgs };
  } finally {
    await d.stop();
    rmSync(o.dir, { recursive: true, force: true });
  }
}

export function renderBurstMemory(b: BurstMemory): string[] {
  const mib = (x: number) => `${(x / 2 ** 20).toFixed(0)} MiB`;
  const overheadReady = b.ready.rss - b.ready.liveHeap;
  const overheadAfter = b.after.rss - b.after.liveHeap;
  return [
    '### RSS after a burst',
    '',
    `A fresh daemon on an empty store (one SMS step on the mock provider, delivered 1 s after each send) took ${b.accepted.toLocaleString('en-US')} messages as fast as 50 connections sent them (${b.acceptsPerSec.toFixed(0)}/s); all were delivered ${b.drainSec.toFixed(1)} s after the last accept. Readings right after two full collections, at ready and ${b.settleSec} s after the drain; RSS sampled every 200 ms in between.`,
    '',
    '| When | RSS | Live heap | V8 heap reserved | External (buffers) | RSS − live heap |',
    '|---|---|---|---|---|---|',
    `| Ready, before the burst | ${mib(b.ready.rss)} | ${mib(b.ready.liveHeap)} | ${mib(b.ready.heapTotal)} | ${mib(b.ready.external)} | ${mib(overheadReady)} |`,
    `| Peak during the burst | ${mib(b.rssPeak)} | | | | |`,
    `| After the burst | ${mib(b.after.rss)} | ${mib(b.after.liveHeap)} | ${mib(b.after.heapTotal)} | ${mib(b.after.external)} | ${mib(overheadAfter)} |`,
    '',
    `Where it is (V8's spaces as reserved; glibc's main arena and other anonymous memory as resident). The daemon used ${b.cpuMicrosPerMessage.toFixed(0)} µs of CPU per message while the burst ran${b.nodeArgs.length > 0 ? `; extra node flags: \`${b.nodeArgs.join(' ')}\`` : ''}.`,
    '',
    '| When | Young generation | Old space (used) | Main arena | Other anonymous |',
    '|---|---|---|---|---|',
    ...([['Ready', b.ready], ['After', b.after]] as const).map(([when, r]) => `| ${when} | ${mib(r.young)} | ${mib(r.oldReserved)} (${mib(r.oldUsed)}) | ${mib(r.mainArena)} | ${mib(r.anon)} |`),
    '',
  ];
}
