/**
 * A throwaway PostgreSQL cluster for the tests that need one: `initdb` into a temp folder, start it
 * on a free port (unix socket in the same folder, `fsync=off` unless asked), and stop and delete it afterwards.
 * Started once per `vitest run` by `test/postgres/global-setup.ts`, which hands the admin URL to
 * the test files (`inject('postgresUrl')`); each file makes its own databases with
 * `createDatabase`. Never skipped: if PostgreSQL cannot start, the run fails with its log.
 *
 * Postgres refuses to run as root (CI runs as root), so there the server runs as the `postgres`
 * user through `runuser` (util-linux), in a folder that user owns.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface Cluster {
  /** Superuser URL of the `postgres` database (trust auth on 127.0.0.1). */
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
  /** Stops the server, keeping its data (a database going away under the gateway). */
  halt(): Promise<void>;
  /** Starts a halted server again on the same port. */
  resume(): Promise<void>;
}

/** `initdb`/`pg_ctl` of the newest PostgreSQL under /usr/lib/postgresql, or from PATH. */
export function findPostgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions.length > 0) return join(root, versions[0], 'bin');
  throw new Error('PostgreSQL not found under /usr/lib/postgresql/*/bin (apt-get install postgresql; .ci/run does)');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs a PostgreSQL binary as `postgres` when we are root (Postgres refuses root), else as ourselves. */
async function asPostgres(bin: string, args: string[]): Promise<void> {
  const isRoot = process.getuid?.() === 0;
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  await run(file, argv, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' }, timeout: 60_000 });
}

/**
 * Starts a new cluster and resolves once it accepts connections. Tests run it without flushing to
 * disk; `durable: true` (the benchmarks, to compare with a file store that fsyncs) flushes every
 * commit as a production server does.
 *
 * @example const cluster = await startCluster(); …; await cluster.stop();
 */
export async function startCluster(options: { durable?: boolean } = {}): Promise<Cluster> {
  const serverOptions = (port: number, dir: string) => serverFlags(port, dir, options.durable === true);
  const bin = findPostgresBin();
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-pg-'));
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  const log = join(dir, 'postgres.log');
  const stop = async () => {
    await asPostgres(join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'immediate', '-w']).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await asPostgres(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    const port = await startOnFreePort(bin, data, dir, log, serverOptions);
    const halt = () => asPostgres(join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'fast', '-w']);
    const resume = () => asPostgres(join(bin, 'pg_ctl'), ['start', '-D', data, '-l', log, '-w', '-t', '30', '-o', serverOptions(port, dir)]);
    return { url: `postgresql://postgres@127.0.0.1:${port}/postgres`, port, dir, stop, halt, resume };
  } catch (err) {
    const text = await readFile(log, 'utf8').catch(() => '');
    await stop();
    throw new Error(`cannot start PostgreSQL for the tests: ${(err as Error).message}\n${text}`);
  }
}

// Test files run in parallel and each daemon opens ~45 sessions (32 lock sessions, its pool, its
// listener and liveness lock): on a slow machine more of them overlap than 200 slots hold.
function serverFlags(port: number, dir: string, durable: boolean): string {
  const sync = durable ? 'on' : 'off';
  return `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=${sync} -c synchronous_commit=${sync} -c full_page_writes=${sync} -c max_connections=400`;
}

/** Another process may take the free port before the server binds it: then try another. */
async function startOnFreePort(bin: string, data: string, dir: string, log: string, serverOptions: (port: number, dir: string) => string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      await asPostgres(join(bin, 'pg_ctl'), ['start', '-D', data, '-l', log, '-w', '-t', '30', '-o', serverOptions(port, dir)]);
      return port;
    } catch (err) {
      const text = await readFile(log, 'utf8').catch(() => '');
      if (attempt >= 3 || !/could not (bind|create listen)/i.test(text)) throw err;
    }
  }
}

let counter = 0;

/**
 * Creates a fresh, empty database on the cluster and returns its URL and a `drop` for afterEach.
 *
 * @example const db = await createDatabase(inject('postgresUrl')); …; await db.drop();
 */
export async function createDatabase(adminUrl: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Runs `sql` on a connection of its own (as another client would) and returns its rows. */
export async function queryRows(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}
