import type pg from 'pg';
import { StoreUnavailableError } from '../../errors.js';
import { idTime } from '../../ids.js';
import type { InboundRecord, Message } from '../../model.js';
import { createGroupCommit, NOTHING_STAGED, type Flushable } from '../file/group-commit.js';
import { fetchEach, memoryKeyValue } from '../file/key-value.js';
import { expireHot, hotCollections } from '../hot-collections.js';
import { HOT_COLLECTIONS, type KeyValue, type Store, type StoreOptions } from '../store.js';
import { HotQueue } from './hot-queue.js';
import { inbound as inboundTable } from './inbound.js';
import { createKeyLocks } from './key-locks.js';
import { holdLiveness, type Liveness } from './liveness.js';
import { createMessages } from './messages.js';
import { migrate } from './migrate.js';
import { writeAsOneStatement } from './one-statement.js';
import { createPendingRecords } from './pending-records.js';
import { openPool, warmPool, type Queryable } from './pool.js';
import { prune as pruneTables } from './retention.js';
import { createSharedTimers } from './shared-timers.js';
import { createTimerCompletions } from './timer-completions.js';
import { reachable } from './unit-of-work.js';

export interface PostgresStoreOptions extends StoreOptions<Message> {
  /** `postgres://user:password@host:5432/database` (`store.url`). */
  url: string;
  /** Connections for reads and commits (default 10). */
  poolMax?: number;
  /** Connections holding per-key locks (default 32): the most keys this instance holds at once. */
  lockPoolMax?: number;
  /** How long a claimed timer stays claimed without a renewal (default 15 s). */
  leaseMs?: number;
  /** A connection lost while idle (the next commit fails and says so; this is for the log). */
  onConnectionError?: (err: Error) => void;
}

type InflightRef = { message: string; step: number; owner?: string };

/**
 * The attempt index of a shared store: an entry never changes once made, so a hit in memory is
 * right; a miss (an attempt another instance made) reads the table.
 */
function attemptIndex(pool: Queryable, local: Map<string, string>): KeyValue<string> {
  return Object.assign(memoryKeyValue(local), {
    async fetch(key: string) {
      const hit = local.get(key);
      if (hit) return hit;
      const { rows } = await pool.query<{ message_id: string }>('SELECT message_id FROM attempt_index WHERE key = $1', [key]);
      if (rows[0]) local.set(key, rows[0].message_id);
      return rows[0]?.message_id;
    },
    fetchMany(keys: readonly string[]) {
      return fetchEach((key) => this.fetch(key), keys);
    },
  });
}

/**
 * In-flight sends of instances that are gone: their liveness lock was free at two looks in a row
 * (a database restart drops every session at once, and a live instance needs a moment to take its
 * lock back), or they were written before owners were recorded.
 */
function orphanFinder(pool: Queryable, liveness: Liveness) {
  let suspects = new Set<string>();
  return async (): Promise<Array<[string, { message: string; step: number }]>> => {
    const { rows } = await pool.query<{ key: string; value: InflightRef }>("SELECT key, value FROM kv WHERE collection = 'inflight'");
    const owners = new Set(rows.map((r) => r.value.owner ?? '').filter((o) => o !== liveness.owner));
    const dead = new Set<string>();
    for (const owner of owners) if (owner === '' || (await liveness.isDead(owner))) dead.add(owner);
    const before = suspects;
    suspects = dead;
    const confirmed = (owner: string) => owner === '' || (dead.has(owner) && before.has(owner));
    return rows.filter((r) => confirmed(r.value.owner ?? '')).map((r) => [r.key, { message: r.value.message, step: r.value.step }]);
  };
}

/**
 * The `Store` on PostgreSQL, shared by any number of gateway instances. Messages, inbound, keyed
 * hot state and timers live in tables; this process keeps in memory only its changes not yet
 * committed (and the attempt keys it has seen). A commit writes every queued change in one
 * transaction, coalescing concurrent callers. `exclusive` holds a key across instances with an
 * advisory lock; timers are claimed with leases (`sharedTimers`); each instance holds a liveness
 * lock so the others can tell when its in-flight sends are orphans.
 *
 * @example
 *   const store = await openPostgresStore({ url, indexKeys: attemptKeys, indexWindowMs: 3 * 86_400_000 });
 *   await store.exclusive(`message:${id}`, async () => { store.messages.put(m); });
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const pool = await openPool({ url: options.url, max: options.poolMax, onIdleError: options.onConnectionError });
  let liveness: Liveness | undefined;
  try {
    liveness = await holdLiveness(pool.options, options.url, options.onConnectionError);
    await migrate(pool);
    return await openMigrated(options, pool, liveness);
  } catch (err) {
    await liveness?.release();
    await pool.end().catch(() => undefined);
    throw err;
  }
}

async function openMigrated(options: PostgresStoreOptions, pool: pg.Pool, liveness: Liveness): Promise<Store> {
  const deadLetterMaxAgeMs = options.deadLetterMaxAgeMs ?? 30 * 86_400_000;
  const stats = { commits: 0, fileWrites: 0 };
  const gc = createGroupCommit(() => {
    stats.commits += 1;
  });
  const lockPoolMax = options.lockPoolMax ?? 8;
  const lockPool = await openPool({ url: options.url, max: lockPoolMax, applicationName: 'switchboard-locks', statementTimeoutMs: 0, onIdleError: options.onConnectionError });
  const warming = warmPool(lockPool, lockPoolMax);

  const reads = reachable(pool);
  // No cache of committed records: another instance may change them at any time.
  // A message's holder reads it first: that read goes with the lock (`key-locks.ts`).
  const messages = createPendingRecords<Message>(reads, 'messages', createMessages({ indexKeys: options.indexKeys }), 0, {
    take: (id) => locks.takeRead(id),
    forget: (id, discarded) => locks.forgetRead(id, discarded),
    putAgain: (id, json) => locks.putAgain(id, json),
  });
  const inbound = createPendingRecords<InboundRecord>(reads, 'inbound', inboundTable, 0);
  // The whole commit is one transaction: the one "file" the group commit flushes.
  const database: Flushable = {
    async flush() {
      const timers = hot.take();
      const changes = [messages.take(), inbound.take(), timers];
      const done = completions.take();
      const batches = [...changes, done];
      if (batches.every((b) => b.size === 0)) return NOTHING_STAGED;
      await writeAsOneStatement(pool, async (tx) => {
        for (const b of changes) if (b.size > 0) await b.write(tx);
        // A claim of a timer this commit rewrites (a new revision) or deletes is gone with it.
        if (done.size > 0) await done.write(tx, timers.timerIds);
      });
      stats.fileWrites += 1;
      // Committed: these changes leave the queues (newer ones made meanwhile stay).
      for (const b of batches) b.written();
      return NOTHING_STAGED;
    },
  };
  const completions = createTimerCompletions(() => gc.markDirty(database));
  let closing = false;
  // A flush may have left a holder's changes queued (not yet released): marked dirty again, the
  // holder's commit writes them.
  const settle = () => {
    gc.markDirty(database);
    return gc.commit();
  };
  const locks = createKeyLocks(lockPool, settle, () => closing, 'message:');
  const touch = (undo?: () => void) => {
    gc.markDirty(database);
    return locks.changed(undo);
  };
  const owner = liveness.owner;
  const localWakes = new Set<(earliestDue: number) => void>();
  const hot = new HotQueue(HOT_COLLECTIONS, touch, {
    db: reads,
    deadLetterMaxAgeMs,
    onTimersWritten: (earliestDue) => {
      for (const wake of localWakes) wake(earliestDue);
    },
    stamp: (name, value) => (name === 'inflight' ? { ...(value as object), owner } : value),
  });
  messages.onChange(touch);
  inbound.onChange(touch);
  const index = new Map<string, string>();
  const commit = () => locks.commit();
  // After a failed commit the store says it is not writable (readiness reports it) until a commit
  // succeeds; with no traffic left to commit (a load balancer took the instance out), this one does.
  const retry = setInterval(() => {
    if (!gc.writable) void gc.commit().catch(() => undefined);
  }, 1000);
  retry.unref();

  const kv = <T>(name: (typeof HOT_COLLECTIONS)[number]) => hot.keyValue<T>(name);
  return {
    ...hotCollections(kv),
    messages: messages.collection,
    inbound: inbound.collection,
    attemptIndex: attemptIndex(reads, index),
    stats,
    get writable() {
      return gc.writable;
    },
    commit,
    exclusive: locks.exclusive,
    orphans: orphanFinder(reads, liveness),
    sharedTimers: createSharedTimers(pool, { owner, leaseMs: options.leaseMs ?? 15_000, localWakes, completions, commit: () => gc.commit() }),
    /**
     * Expires what this process holds in memory, then deletes old rows in batches (keeping what
     * timers, idempotency keys and callbacks still name) and expired keyed values.
     * `partitionsDeleted` counts rows here: there are no partitions.
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
      closing = true;
      clearInterval(retry);
      // Commits in flight finish, and one last try writes what is still queued.
      const unwritten = await gc.close();
      await warming;
      await lockPool.end().catch(() => undefined);
      await liveness.release();
      await pool.end().catch(() => undefined);
      if (unwritten) throw unwritten instanceof StoreUnavailableError ? unwritten : new StoreUnavailableError(unwritten);
    },
  };
}
