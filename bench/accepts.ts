/** One accept-throughput run: start a server (baseline or daemon), load it, sample it, stop it. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeConfig } from './config.js';
import { measureAccepts, type LoadResult } from './load.js';
import { freePort, ROOT, startChild } from './procs.js';
import { appendedSince, hotFiles, linkStore, segmentSizes, type Appended, type HotFiles } from './storefiles.js';

export type Target = 'baseline' | 'empty' | 'retained';

export interface AcceptRun extends LoadResult {
  target: Target;
  round: number;
  startupSec: number;
  rssAfter: number;
  rssPeak: number;
  /** Server CPU milliseconds per accepted request during the measured run (background work included). */
  cpuMsPerRequest: number;
  /** What the daemon appended to its message segments during the whole run, warm-up included (daemon only). */
  appended?: Appended;
  /** The hot-state journal and snapshot after the run (daemon only). */
  hot?: HotFiles;
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
    if (target === 'retained') linkStore(options.retainedSeed!, dataDir);
    const config = writeConfig(dir, { port, dataDir, scenario: 'accepts' });
    cmd = options.daemon.cmd;
    args = [...options.daemon.args, 'start', '--config', config];
    readyPath = '/-/ready';
  }
  const sizesBefore = target === 'baseline' ? new Map<string, number>() : segmentSizes(join(dir, 'data'));
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
    const daemonFiles = target === 'baseline' ? {} : { appended: appendedSince(join(dir, 'data'), sizesBefore), hot: hotFiles(join(dir, 'data')) };
    return { ...r, target, round: options.round, startupSec, rssAfter: mem.rss, rssPeak: mem.peak, cpuMsPerRequest: (cpu * 1000) / Math.max(1, r.accepted), ...daemonFiles };
  } finally {
    await child.stop();
  }
}
