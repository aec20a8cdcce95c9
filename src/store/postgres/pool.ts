import pg from 'pg';
import { StartupError } from '../../errors.js';

export interface PoolOptions {
  /** `postgres://user:password@host:port/database?…` (libpq-style URL). */
  url: string;
  /** Connections at most (default 10). */
  max?: number;
  /** How long the first connection, at open, may take (default 5 s). */
  connectTimeoutMs?: number;
  /**
   * How long a caller waits for a connection, from a busy pool or a slow server (default 30 s):
   * under load a commit waits its turn rather than failing.
   */
  waitTimeoutMs?: number;
  /**
   * How long an idle connection is kept (default 5 min). Each new one costs the server a process
   * and a login, and a burst that finds the pool shrunk waits for them: pg's own 10 s default
   * put half a second on the slowest timers under a steady load with bursts.
   */
  idleTimeoutMs?: number;
  /** Shown in `pg_stat_activity` (default `switchboard`). */
  applicationName?: string;
  /** An idle client lost its server (the next query fails and says so; this is for the log). */
  onIdleError?: (err: Error) => void;
  /**
   * How long one statement may take, enforced by the server and, for a peer that went silent
   * (a partitioned network), by the client too; 0 for none (the lock pool, whose waits are long).
   * Default 30 s.
   */
  statementTimeoutMs?: number;
}

/** Anything that runs a query: the pool, or one client inside a transaction. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/**
 * The database cannot be used at start: a wrong URL, a server that does not answer, a refused
 * login. One line for the operator, the password masked.
 */
export class DatabaseUnavailableError extends StartupError {
  constructor(message: string, cause?: unknown) {
    super(message);
    this.name = 'DatabaseUnavailableError';
    if (cause !== undefined) this.cause = cause;
  }
}

/** The URL as it may be shown: the password replaced by `***`. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** Throws a `DatabaseUnavailableError` unless `url` is a `postgres:`/`postgresql:` URL. */
export function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseUnavailableError('database URL is not a URL; expected postgres://user:password@host:5432/database');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DatabaseUnavailableError(`database URL ${maskUrl(url)} must start with postgres:// or postgresql://`);
  }
}

/**
 * A pool for `url`, not yet connected. Idle clients that lose their server emit `error` on the
 * pool; it goes to `onIdleError` (the next query reports it anyway) instead of crashing the process.
 */
export function createPool(options: PoolOptions): pg.Pool {
  checkUrl(options.url);
  const timeout = options.statementTimeoutMs ?? 30_000;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.waitTimeoutMs ?? 30_000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 300_000,
    application_name: options.applicationName ?? 'switchboard',
    // A host that vanished without closing its sockets is noticed, not waited on forever.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(timeout > 0 ? { statement_timeout: timeout, query_timeout: timeout + 5000 } : {}),
  });
  pool.on('error', (err) => options.onIdleError?.(err));
  // For a client's whole life, not only while idle: the pool stops listening when it hands one out,
  // and a server's shutdown notice read in the same packet as "ready" would otherwise be an
  // unhandled 'error' that ends the process. The query that uses the client still fails and says so.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * A pool that has proven it can connect: a wrong URL or an unreachable database is a
 * `DatabaseUnavailableError` with one clear line, and no pool is left open.
 *
 * @example const pool = await openPool({ url: process.env.DATABASE_URL! });
 */
export async function openPool(options: PoolOptions): Promise<pg.Pool> {
  const pool = createPool(options);
  // A client of its own, so a wrong address fails within the connect timeout, not the pool's wait.
  const probe = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: options.connectTimeoutMs ?? 5000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.end();
    return pool;
  } catch (err) {
    await probe.end().catch(() => undefined);
    await pool.end().catch(() => undefined);
    throw new DatabaseUnavailableError(`cannot connect to the database at ${maskUrl(options.url)}: ${describeError(err)}`, err);
  }
}

/**
 * Opens `count` connections of `pool` and returns them to it, in the background of a start: the
 * first burst of work (timers coming due, a takeover) then finds its sessions ready instead of
 * waiting for the server to start a process and log in for each. Failures are left to the first
 * real use to report.
 */
export async function warmPool(pool: pg.Pool, count: number): Promise<void> {
  const clients = await Promise.allSettled(Array.from({ length: count }, () => pool.connect()));
  for (const c of clients) if (c.status === 'fulfilled') c.value.release();
}

/** One line out of what `pg` and `net` throw (an AggregateError for a host with two addresses, say). */
export function describeError(err: unknown): string {
  const e = err as { message?: string; code?: string; errors?: unknown[] };
  const first = Array.isArray(e.errors) && e.errors.length > 0 ? (e.errors[0] as { message?: string; code?: string }) : undefined;
  const message = (e.message || first?.message || String(err)).split('\n')[0];
  const code = e.code ?? first?.code;
  return code && !message.includes(code) ? `${message} (${code})` : message;
}
