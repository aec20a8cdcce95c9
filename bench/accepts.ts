/** One accept-throughput run: start a server (baseline or daemon), load it, sample it, stop it. */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeConfig } from './config.js';
import { measureAccepts, measureAcceptsSplit, type LoadResult } from './load.js';
import { tallyLog, type LogTally } from './logs.js';
import { freePort, ROOT, startChild, type Child } from './procs.js';
import { appendedSince, hotFiles, linkStore, segmentSizes, type Appended, type HotFiles } from './storefiles.js';

/** `postgres`: one daemon on a fresh database; `postgres-2`: two daemons on one fresh database, the load split over both. */
export type Target = 'baseline' | 'empty' | 'retained' | 'postgres' | 'postgres-2';

export interface AcceptRun extends LoadResult {
  target: Target;
  round: number;
  startupSec: number;
  rssAfter: number;
  rssPeak: number;
  /** Server CPU milliseconds per accepted request during the measured run (background work included; every daemon of the run). */
  cpuMsPerRequest: number;
  /** What the daemon appended to its message segments during the whole run, warm-up included (daemon only). */
  appended?: Appended;
  /** The hot-state journal and snapshot after the run (daemon only). */
  hot?: HotFiles;
  /** PostgreSQL runs: the server's CPU per accepted request (its processes alive at the end), and each daemon's share. */
  pgCpuMsPerRequest?: number;
  perServer?: LoadResult[];
  /** PostgreSQL runs: the database's transactions and rows per accepted request over the measured run (its counters lag by up to a second). */
  dbPerRequest?: DbActivity;
  /** PostgreSQL runs: what the daemons logged (warn and up). */
  daemonLog?: LogTally[];
}

/** The run could not be measured (a daemon refused to start, say): what it said. */
export interface FailedRun {
  target: Target;
  round: number;
  error: string;
}

export interface PostgresTarget {
  /** A fresh database for this run. */
  database(): Promise<string>;
  cpuSeconds(): number;
  query<T extends Record<string, unknown>>(url: string, sql: string, params?: unknown[]): Promise<T[]>;
}

/** The database's own counters (`pg_stat_database`): transactions (every statement outside one counts as one) and rows. */
export interface DbActivity {
  transactions: number;
  rowsWritten: number;
  rowsRead: number;
}

async function dbActivity(pg: PostgresTarget, url: string): Promise<DbActivity> {
  const [r] = await pg.query<{ x: string; w: string; f: string }>(url, `SELECT xact_commit + xact_rollback AS x, tup_inserted + tup_updated + tup_deleted AS w, tup_fetched AS f FROM pg_stat_database WHERE datname = current_database()`);
  return { transactions: Number(r.x), rowsWritten: Number(r.w), rowsRead: Number(r.f) };
}

/** The last lines of a daemon's log that say why it stopped. */
export function tailOf(file: string, lines = 3): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join(' / ').slice(0, 400);
  } catch {
    return '';
  }
}

export async function runAccepts(options: {
  target: Target;
  round: number;
  dir: string;
  daemon: { cmd: string; args: string[] };
  retainedSeed?: string;
  postgres?: PostgresTarget;
  load: { connections: number; warmupSec: number; durationSec: number };
}): Promise<AcceptRun> {
  const { target, dir } = options;
  if (target === 'postgres' || target === 'postgres-2') return runOnPostgres({ ...options, target, postgres: options.postgres! });
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

/** Starts a daemon on `url`; a refused start rejects with the daemon's own last log lines. */
export async function startOnPostgres(options: { name: string; dir: string; daemon: { cmd: string; args: string[] }; url: string; scenario: 'accepts' | 'fallback'; within?: string; lease?: string }): Promise<Child> {
  const dir = join(options.dir, options.name);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const config = writeConfig(dir, { port, dataDir: join(dir, 'data'), scenario: options.scenario, within: options.within, postgres: { lease: options.lease } });
  const logFile = join(dir, 'server.log');
  try {
    return await startChild({ name: options.name, cmd: options.daemon.cmd, args: [...options.daemon.args, 'start', '--config', config], cwd: dir, port, readyPath: '/-/ready', logFile, readyTimeoutMs: 120_000, env: { DATABASE_URL: options.url } });
  } catch (err) {
    throw new Error(`${options.name}: ${tailOf(logFile) || (err as Error).message}`);
  }
}

async function runOnPostgres(options: { target: 'postgres' | 'postgres-2'; round: number; dir: string; daemon: { cmd: string; args: string[] }; postgres: PostgresTarget; load: { connections: number; warmupSec: number; durationSec: number } }): Promise<AcceptRun> {
  const url = await options.postgres.database();
  const count = options.target === 'postgres' ? 1 : 2;
  const children: Child[] = [];
  try {
    const t0 = Date.now();
    // One after the other, as an operator would: the second finds the schema migrated.
    for (let i = 0; i < count; i++) children.push(await startOnPostgres({ name: `daemon-${String.fromCharCode(97 + i)}`, dir: options.dir, daemon: options.daemon, url, scenario: 'accepts' }));
    const startupSec = (Date.now() - t0) / 1000 / count;
    let cpu0 = 0;
    let pg0 = 0;
    // Read at the end of the warm-up, before the measured run starts (autocannon's start is not awaited).
    let db0: Promise<DbActivity> | undefined;
    const r = await measureAcceptsSplit(children.map((c) => c.port), options.load, () => {
      cpu0 = children.reduce((a, c) => a + c.cpuSeconds(), 0);
      pg0 = options.postgres.cpuSeconds();
      db0 = dbActivity(options.postgres, url);
    });
    const cpu = children.reduce((a, c) => a + c.cpuSeconds(), 0) - cpu0;
    const pgCpu = options.postgres.cpuSeconds() - pg0;
    const [before, after] = [await db0!, await dbActivity(options.postgres, url)];
    const per = (x: number) => x / Math.max(1, r.accepted);
    const dbPerRequest = { transactions: per(after.transactions - before.transactions), rowsWritten: per(after.rowsWritten - before.rowsWritten), rowsRead: per(after.rowsRead - before.rowsRead) };
    const mem = children.map((c) => c.memory());
    const perRequest = (s: number) => (s * 1000) / Math.max(1, r.accepted);
    return {
      ...r,
      target: options.target,
      round: options.round,
      startupSec,
      rssAfter: Math.max(...mem.map((m) => m.rss)),
      rssPeak: Math.max(...mem.map((m) => m.peak)),
      cpuMsPerRequest: perRequest(cpu),
      pgCpuMsPerRequest: perRequest(pgCpu),
      dbPerRequest,
      perServer: count > 1 ? r.perServer : undefined,
      daemonLog: children.flatMap((c) => tallyLog(c.logFile)),
    };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}
