import type pg from 'pg';
import { StoreUnavailableError } from '../../errors.js';
import { idTime } from '../../ids.js';
import type { InboundRecord, Message } from '../../model.js';
import { createGroupCommit, NOTHING_STAGED, type Flushable } from '../file/group-commit.js';
import { memoryKeyValue } from '../file/key-value.js';
import { expireHot, hotCollections } from '../hot-collections.js';
import { HOT_COLLECTIONS, type Store, type StoreOptions } from '../store.js';
import { HotQueue } from './hot-queue.js';
import { inbound as inboundTable } from './inbound.js';
import { lockDatabase, type InstanceLock } from './instance-lock.js';
import { createMessages } from './messages.js';
import { migrate } from './migrate.js';
import { createPendingRecords } from './pending-records.js';
import { openPool } from './pool.js';
import { prune as pruneTables } from './retention.js';
import { withTransaction } from './unit-of-work.js';

export { DatabaseInUseError } from './instance-lock.js';

export interface PostgresStoreOptions extends StoreOptions<Message> {
  /** `postgres://user:password@host:5432/database` (`store.url`). */
  url: string;
  /** Connections at most (default 10). */
  poolMax?: number;
  /** A connection lost while idle (the next commit fails and says so; this is for the log). */
  onConnectionError?: (err: Error) => void;
}

/** `<key> → message id` for the attempts of messages created within the window. */
async function loadAttemptIndex(pool: pg.Pool, fromMs: number): Promise<Map<string, string>> {
  const { rows } = await pool.query<{ key: string; message_id: string }>(
    `SELECT a.key, a.message_id FROM attempt_index a JOIN messages m ON m.id = a.message_id
     WHERE m.created_at >= to_timestamp($1::double precision / 1000)`,
    [fromMs],
  );
  return new Map(rows.map((r) => [r.key, r.message_id]));
}

/**
 * Today's `Store` on PostgreSQL, for ONE gateway instance (a second one on the same database is
 * refused at open). Hot state lives in memory as with the file store, loaded from `kv` and
 * `timers` at open; messages and inbound are pending puts and a bounded cache in front of their
 * tables. A commit writes every queued change — hot state, messages, inbound, attempt keys — in
 * one transaction, so it is whole or nothing, and concurrent commits are coalesced into one.
 *
 * @example
 *   const store = await openPostgresStore({ url, indexKeys: attemptKeys, indexWindowMs: 3 * 86_400_000 });
 *   store.timers.set('t1', timer); store.messages.put(m); await store.commit(); … await store.close();
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const pool = await openPool({ url: options.url, max: options.poolMax, onIdleError: options.onConnectionError });
  let lock: InstanceLock | undefined;
  try {
    // The lock first: a refused second instance must not even migrate.
    lock = await lockDatabase(options.url, options.onConnectionError);
    await migrate(pool);
    return await openLocked(options, pool, lock);
  } catch (err) {
    await lock?.release();
    await pool.end().catch(() => undefined);
    throw err;
  }
}

async function openLocked(options: PostgresStoreOptions, pool: pg.Pool, lock: InstanceLock): Promise<Store> {
  const now = options.now ?? Date.now;
  const deadLetterMaxAgeMs = options.deadLetterMaxAgeMs ?? 30 * 86_400_000;
  const stats = { commits: 0, fileWrites: 0 };
  const gc = createGroupCommit(() => {
    stats.commits += 1;
  });

  const messages = createPendingRecords<Message>(pool, 'messages', createMessages({ indexKeys: options.indexKeys }), options.cacheBytes);
  const inbound = createPendingRecords<InboundRecord>(pool, 'inbound', inboundTable, options.cacheBytes);
  // The whole commit is one transaction: the one "file" the group commit flushes.
  const database: Flushable = {
    async flush() {
      const batches = [messages.take(), inbound.take(), hot.take()];
      if (batches.every((b) => b.size === 0)) return NOTHING_STAGED;
      await withTransaction(pool, async (tx) => {
        for (const b of batches) await b.write(tx);
      });
      stats.fileWrites += 1;
      // Committed: these changes leave the queues (newer ones made meanwhile stay).
      for (const b of batches) b.written();
      return NOTHING_STAGED;
    },
  };
  const touch = () => gc.markDirty(database);
  const hot = new HotQueue(HOT_COLLECTIONS, touch);
  messages.onChange(touch);
  inbound.onChange(touch);
  await hot.load(pool);
  const index = await loadAttemptIndex(pool, now() - options.indexWindowMs);

  const kv = <T>(name: (typeof HOT_COLLECTIONS)[number]) => hot.keyValue<T>(name);
  return {
    ...hotCollections(kv),
    messages: messages.collection,
    inbound: inbound.collection,
    attemptIndex: memoryKeyValue(index),
    stats,
    get writable() {
      return gc.writable;
    },
    commit: () => gc.commit(),
    /**
     * Expires hot entries (as the file store does) and commits that, so the tables name exactly
     * the live state; then deletes old rows in batches, keeping what timers, idempotency keys
     * and callbacks still name. `partitionsDeleted` counts rows here: there are no partitions.
     */
    async prune(cutoff, at) {
      expireHot(kv, index, at, { deadLetterMaxAgeMs, indexWindowMs: options.indexWindowMs });
      await gc.commit();
      const result = await pruneTables(pool, { cutoff, now: at }).catch((err: unknown) => Promise.reject(new StoreUnavailableError(err)));
      const old = (id: string) => (idTime(id) ?? 0) < cutoff;
      messages.dropCached(old);
      inbound.dropCached(old);
      return { partitionsDeleted: result.messagesDeleted + result.inboundDeleted };
    },
    async close() {
      // Commits in flight finish, and one last try writes what is still queued.
      const unwritten = await gc.close();
      await lock.release();
      await pool.end().catch(() => undefined);
      if (unwritten) throw unwritten instanceof StoreUnavailableError ? unwritten : new StoreUnavailableError(unwritten);
    },
  };
}
