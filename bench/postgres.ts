/**
 * The PostgreSQL server the bench runs against: the tests' throwaway cluster started durable
 * (`test/helpers/postgres.ts`, every commit flushed), one fresh database per scenario (the one
 * before it dropped), and the CPU its processes use (the postmaster and every backend), read from
 * /proc like the daemon's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { createDatabase, findPostgresBin, startCluster, type Cluster } from '../test/helpers/postgres.js';
import { onCleanup } from './procs.js';

export interface BenchCluster {
  cluster: Cluster;
  /** The server's durability settings as it reports them (`SHOW`), for the report. */
  settings: Record<string, string>;
  version: string;
  /** A fresh database for one scenario, the previous scenario's dropped first; its URL. */
  database(): Promise<string>;
  /** User + system CPU seconds of the server's processes alive now (exited backends are lost). */
  cpuSeconds(): number;
  query<T extends pg.QueryResultRow>(url: string, sql: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

const DURABILITY = ['fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'shared_buffers', 'max_connections'];
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function statOf(pid: string): { ppid: number; cpu: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / TICKS };
  } catch {
    return undefined;
  }
}

export async function startBenchCluster(): Promise<BenchCluster> {
  // Durable, as the file store it is compared with: every commit flushed to disk.
  const cluster = await startCluster({ durable: true });
  // process.on('exit') cannot wait for pg_ctl's promise: stop it synchronously there.
  onCleanup(() => {
    const pgCtl = join(findPostgresBin(), 'pg_ctl');
    const args = ['stop', '-D', join(cluster.dir, 'data'), '-m', 'immediate', '-w'];
    if (existsSync(join(cluster.dir, 'data', 'postmaster.pid'))) {
      if (process.getuid?.() === 0) spawnSync('runuser', ['-u', 'postgres', '--', pgCtl, ...args]);
      else spawnSync(pgCtl, args);
    }
    rmSync(cluster.dir, { recursive: true, force: true });
  });
  const query = async <T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  const settings: Record<string, string> = {};
  for (const name of DURABILITY) settings[name] = (await query<Record<string, string>>(cluster.url, `SHOW ${name}`))[0][name];
  const version = (await query<{ server_version: string }>(cluster.url, 'SHOW server_version'))[0].server_version;
  const postmaster = () => readFileSync(join(cluster.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0].trim();
  let previous: { drop(): Promise<void> } | undefined;
  return {
    cluster,
    settings,
    version,
    async database() {
      // The scenario that had the last one is over. Kept, its tables could be vacuumed and its
      // pages flushed while the next run is measured, which then pays for its predecessor.
      await previous?.drop();
      const db = await createDatabase(cluster.url);
      previous = db;
      return db.url;
    },
    cpuSeconds() {
      const root = postmaster();
      let total = statOf(root)?.cpu ?? 0;
      for (const pid of readdirSync('/proc')) {
        if (!/^\d+$/.test(pid)) continue;
        const s = statOf(pid);
        if (s && String(s.ppid) === root) total += s.cpu;
      }
      return total;
    },
    query,
    stop: () => cluster.stop(),
  };
}
