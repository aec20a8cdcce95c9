/** One accept-throughput run: start a server (baseline or daemon), load it, sample it, stop it. */
import { linkSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeConfig } from './config.js';
import { measureAccepts, type LoadResult } from './load.js';
import { freePort, ROOT, startChild } from './procs.js';

export type Target = 'baseline' | 'empty' | 'retained';

export interface AcceptRun extends LoadResult {
  target: Target;
  round: number;
  startupSec: number;
  rssAfter: number;
  rssPeak: number;
  /** Server CPU milliseconds per accepted request during the measured run (background work included). */
  cpuMsPerRequest: number;
  /** Size of the hour partition the run wrote into, after the run (daemon only). */
  hourFileBytes?: number;
}

/** The newest `messages/<day>/<hour>.json` and its size. */
export function newestPartition(dataDir: string): { file: string; bytes: number } | undefined {
  const root = join(dataDir, 'messages');
  const days = readdirSync(root).filter((d) => /^\d{4}-\d\d-\d\d$/.test(d)).sort();
  const day = days.at(-1);
  if (!day) return undefined;
  const hour = readdirSync(join(root, day)).filter((f) => /^\d\d\.json$/.test(f)).sort().at(-1);
  if (!hour) return undefined;
  const file = join(root, day, hour);
  return { file, bytes: statSync(file).size };
}

/** A copy of a seeded store made of hard links: instant, and safe because the store only ever renames new files over old ones. */
export function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    if (statSync(src).isDirectory()) linkTree(src, join(to, name));
    else linkSync(src, join(to, name));
  }
}

export async function runAccepts(options: {
  target: Target;
  round: number;
  dir: string;
  daemon: { cmd: string; args: string[] };
  retainedSeed?: string;
  load: { connections: number; warmupSec: number; durationSec: number };
}): Promise<AcceptRun> {
  const { target, dir } = options;
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  let cmd: string;
  let args: string[];
  let readyPath: string;
  if (target === 'baseline') {
    cmd = process.execPath;
    args = ['--import', 'tsx', join(ROOT, 'bench/baseline-server.ts'), String(port)];
    readyPath = '/';
  } else {
    const dataDir = join(dir, 'data');
    if (target === 'retained') linkTree(options.retainedSeed!, dataDir);
    const config = writeConfig(dir, { port, dataDir, scenario: 'accepts' });
    cmd = options.daemon.cmd;
    args = [...options.daemon.args, 'start', '--config', config];
    readyPath = '/-/ready';
  }
  const t0 = Date.now();
  const child = await startChild({ name: `${target}-${options.round}`, cmd, args, cwd: dir, port, readyPath, logFile: join(dir, 'server.log'), readyTimeoutMs: 300_000 });
  const startupSec = (Date.now() - t0) / 1000;
  try {
    let cpu0 = 0;
    const r = await measureAccepts(port, options.load, () => {
      cpu0 = child.cpuSeconds();
    });
    const cpu = child.cpuSeconds() - cpu0;
    const mem = child.memory();
    await child.stop();
    const hourFileBytes = target === 'baseline' ? undefined : newestPartition(join(dir, 'data'))?.bytes;
    return { ...r, target, round: options.round, startupSec, rssAfter: mem.rss, rssPeak: mem.peak, cpuMsPerRequest: (cpu * 1000) / Math.max(1, r.accepted), hourFileBytes };
  } finally {
    await child.stop();
  }
}
