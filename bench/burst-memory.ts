/**
 * Issue 14's "the RSS after a 100k burst returns near the live heap". A fresh daemon on an empty
 * store (the `accepts` scenario: one SMS step, delivered 1 s after each send) is read once ready,
 * then takes `amount` messages as fast as 50 connections can send them, and is read again once
 * every one of them is delivered and the store has settled. Each reading: RSS, and the live V8
 * heap (`nodejs_heap_size_used_bytes` right after two full collections, bench/gc-on-signal.mjs).
 * What is not heap — code, the allocator's arenas, buffers — is RSS − live heap.
 */
import { mkdirSync, rmSync } from 'node:fs';
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
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** RSS and live heap once the daemon has collected twice. */
async function read(port: number, pid: number, rss: () => number): Promise<MemoryReading> {
  process.kill(pid, 'SIGUSR2');
  await sleep(1000);
  const text = await scrape(port);
  const g = (name: string) => gauge(text, name) ?? NaN;
  return { rss: rss(), liveHeap: g('nodejs_heap_size_used_bytes'), heapTotal: g('nodejs_heap_size_total_bytes'), external: g('nodejs_external_memory_bytes') };
}

const delivered = async (port: number) => gauge(await scrape(port), 'switchboard_messages_total', { outcome: 'delivered' }) ?? 0;

export async function runBurstMemory(o: { dir: string; daemon: { cmd: string; args: string[] }; amount: number; settleSec: number; log: (line: string) => void }): Promise<BurstMemory> {
  mkdirSync(o.dir, { recursive: true });
  const port = await freePort();
  const config = writeConfig(o.dir, { port, dataDir: join(o.dir, 'data'), scenario: 'accepts' });
  const d = await startChild({
    name: 'burst', cmd: o.daemon.cmd, cwd: o.dir, port, readyPath: '/-/ready', logFile: join(o.dir, 'daemon.log'),
    args: ['--expose-gc', '--import', join(ROOT, 'bench/gc-on-signal.mjs'), ...o.daemon.args, 'start', '--config', config],
  });
  try {
    const rss = () => d.memory().rss;
    const ready = await read(port, d.pid, rss);
    let rssPeak = rss();
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rss())), 200);
    const load = await submit(port, { amount: o.amount, connections: 50, ratePerSec: 1_000_000 });
    const lastAccept = Date.now();
    while ((await delivered(port)) < load.accepted && Date.now() - lastAccept < 600_000) await sleep(500);
    const drainSec = (Date.now() - lastAccept) / 1000;
    clearInterval(sampler);
    o.log(`burst: ${load.accepted} accepted at ${load.acceptsPerSec.toFixed(0)}/s, delivered ${drainSec.toFixed(1)} s after the last; RSS peak ${(rssPeak / 2 ** 20).toFixed(0)} MiB`);
    await sleep(o.settleSec * 1000);
    const after = await read(port, d.pid, rss);
    return { amount: o.amount, accepted: load.accepted, acceptsPerSec: load.acceptsPerSec, drainSec, ready, rssPeak, after, settleSec: o.settleSec };
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
  ];
}
