import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { StartupError } from '../../errors.js';
import { maskUrl } from './pool.js';
import { keepSession } from './session.js';

// Advisory keys of owners live in their own space: hashtextextended('owner:<id>').
const OWNER_LOCK = "SELECT pg_advisory_lock(hashtextextended('owner:' || $1, 0))";
const TRY_OWNER = "SELECT pg_try_advisory_lock(hashtextextended('owner:' || $1, 0)) AS locked";
const UNLOCK_OWNER = "SELECT pg_advisory_unlock(hashtextextended('owner:' || $1, 0))";

export interface Liveness {
  /** This instance's id: `<host>:<pid>:<random>`, new at every start. */
  readonly owner: string;
  /** Whether no session holds `owner`'s lock (that instance is gone); false while this one reconnects. */
  isDead(owner: string): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * Says "this instance is alive" to every other instance on the database: a session-level advisory
 * lock on the instance's id, held by one dedicated connection for as long as the process lives
 * (taken again after the connection drops). A process that dies, even by `kill -9`, closes its
 * socket and PostgreSQL drops the lock, so another instance can tell its in-flight sends are
 * orphans. TCP keepalives make a vanished host's session end too.
 *
 * @example const live = await holdLiveness(pool.options, url); …; if (await live.isDead(other)) adopt(other);
 */
export async function holdLiveness(client: pg.ClientConfig, url: string, onError: (err: Error) => void = () => undefined, startTimeoutMs = 10_000): Promise<Liveness> {
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const session = keepSession({
    client: { ...client, application_name: 'switchboard-liveness', keepAlive: true, keepAliveInitialDelayMillis: 10_000 },
    setup: async (c) => {
      await c.query(OWNER_LOCK, [owner]);
    },
    onError,
  });
  let timer: NodeJS.Timeout | undefined;
  const started = await Promise.race([
    session.ready.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), startTimeoutMs))),
  ]);
  clearTimeout(timer);
  if (!started) {
    await session.close();
    throw new StartupError(`cannot register this instance on the database at ${maskUrl(url)} within ${startTimeoutMs / 1000} s`);
  }
  return {
    owner,
    async isDead(other) {
      const c = session.client;
      if (!c) return false;
      const { rows } = await c.query<{ locked: boolean }>(TRY_OWNER, [other]);
      if (!rows[0]?.locked) return false;
      await c.query(UNLOCK_OWNER, [other]);
      return true;
    },
    release: () => session.close(),
  };
}
