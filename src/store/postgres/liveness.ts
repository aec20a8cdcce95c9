import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { StartupError } from '../../errors.js';
import { describeError, maskUrl } from './pool.js';

// Advisory keys of owners live in their own space: hashtextextended('owner:<id>').
const OWNER_LOCK = "SELECT pg_advisory_lock(hashtextextended('owner:' || $1, 0))";
const TRY_OWNER = "SELECT pg_try_advisory_lock(hashtextextended('owner:' || $1, 0)) AS locked";
const UNLOCK_OWNER = "SELECT pg_advisory_unlock(hashtextextended('owner:' || $1, 0))";

export interface Liveness {
  /** This instance's id: `<host>:<pid>:<random>`, new at every start. */
  readonly owner: string;
  /** True when no session holds `owner`'s lock: that instance is gone. Runs `fn` while it is held. */
  whileDead<T>(owner: string, fn: () => Promise<T>): Promise<T | undefined>;
  release(): Promise<void>;
}

/**
 * Says "this instance is alive" to every other instance on the database: a session-level advisory
 * lock on the instance's id, held by one dedicated connection for as long as the process lives.
 * A process that dies (even by `kill -9`) closes its socket and PostgreSQL drops the lock, so
 * another instance can tell its in-flight sends are orphans. Keepalives make a vanished host's
 * session end too, not only a dead process's.
 *
 * @example const live = await holdLiveness(url); …; await live.whileDead(other, () => adopt(other));
 */
export async function holdLiveness(url: string, onError: (err: Error) => void = () => undefined): Promise<Liveness> {
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: url, application_name: 'switchboard-liveness', keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
  // A lost connection emits `error`; unheard, it would end the process.
  client.on('error', onError);
  try {
    await client.connect();
    await client.query(OWNER_LOCK, [owner]);
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new StartupError(`cannot register this instance on the database at ${maskUrl(url)}: ${describeError(err)}`);
  }
  return {
    owner,
    async whileDead(other, fn) {
      const { rows } = await client.query<{ locked: boolean }>(TRY_OWNER, [other]);
      if (!rows[0]?.locked) return undefined;
      try {
        return await fn();
      } finally {
        await client.query(UNLOCK_OWNER, [other]).catch(() => undefined);
      }
    },
    async release() {
      // Ending the session releases the lock; an unlock first would only add a round trip.
      await client.end().catch(() => undefined);
    },
  };
}
