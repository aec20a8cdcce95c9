import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import { StoreUnavailableError } from '../../errors.js';

const LOCK = 'SELECT pg_advisory_lock(hashtextextended($1, 0))';
const UNLOCK = 'SELECT pg_advisory_unlock(hashtextextended($1, 0))';

/**
 * `Store.exclusive` across instances: a session-level advisory lock per key, taken on a pool of
 * its own so lock holders never wait for a connection that commits need (their work reads and
 * commits through the main pool). Nested holds inside `fn` run on the same session. Before a key
 * is let go, `settle` commits what `fn` changed, so the next holder reads it.
 *
 * A holder that dies ends its session and PostgreSQL lets the key go. A session the server loses
 * (a restart) loses its locks with it; the work that held them fails its next commit.
 *
 * @example const exclusive = createKeyLocks(lockPool, () => store.commit());
 */
export function createKeyLocks(lockPool: pg.Pool, settle: () => Promise<void>) {
  const scope = new AsyncLocalStorage<pg.PoolClient>();
  // Sessions whose unlock failed may still hold a key: they are closed, never reused.
  const broken = new WeakSet<pg.PoolClient>();

  async function hold<T>(client: pg.PoolClient, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      await client.query(LOCK, [key]);
    } catch (err) {
      broken.add(client);
      throw new StoreUnavailableError(err);
    }
    try {
      const result = await fn();
      // `fn`'s own commit already answered for its changes (the engine's always commit); this one
      // only makes sure nothing it left queued is missed by the next holder, so its failure is
      // not `fn`'s: an accept that committed must not be answered 503.
      await settle().catch(() => undefined);
      return result;
    } finally {
      await client.query(UNLOCK, [key]).catch(() => broken.add(client));
    }
  }

  return async function exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const outer = scope.getStore();
    if (outer) return hold(outer, key, fn);
    let client: pg.PoolClient;
    try {
      client = await lockPool.connect();
    } catch (err) {
      throw new StoreUnavailableError(err);
    }
    // A client whose server goes away emits `error` on itself; unheard it would end the process.
    const onError = () => broken.add(client);
    client.on('error', onError);
    try {
      return await scope.run(client, () => hold(client, key, fn));
    } finally {
      client.off('error', onError);
      client.release(broken.has(client) ? new Error('lock session lost') : undefined);
    }
  };
}
