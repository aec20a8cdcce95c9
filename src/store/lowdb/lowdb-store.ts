import { join } from 'node:path';
import { Low } from 'lowdb';
import { decodeTime } from 'ulid';
import type { CallbackJob, DeadLetter, IdempotencyRecord, InboundRecord, Message, ParkedReceipt, TimerRecord } from '../../model.js';
import type { KeyValue, Store } from '../store.js';
import { DurableJSONFile } from './durable-file.js';
import { createGroupCommit, type Flushable } from './group-commit.js';
import { createPartitioned } from './partitions.js';

interface HotData {
  timers: Record<string, TimerRecord>;
  idempotency: Record<string, IdempotencyRecord>;
  outbox: Record<string, CallbackJob>;
  deadLetters: Record<string, DeadLetter>;
  seen: Record<string, number>;
  parked: Record<string, ParkedReceipt>;
}

const emptyHot = (): HotData => ({ timers: {}, idempotency: {}, outbox: {}, deadLetters: {}, seen: {}, parked: {} });

function keyValue<T>(records: () => Record<string, T>, touch: () => void): KeyValue<T> {
  return {
    get: (key) => (Object.hasOwn(records(), key) ? records()[key] : undefined),
    set(key, value) {
      records()[key] = value;
      touch();
    },
    delete(key) {
      if (Object.hasOwn(records(), key)) {
        delete records()[key];
        touch();
      }
    },
    values: () => Object.values(records())[Symbol.iterator](),
    get size() {
      return Object.keys(records()).length;
    },
  };
}

function memoryKeyValue<T>(map: Map<string, T>): KeyValue<T> {
  return {
    get: (key) => map.get(key),
    set: (key, value) => void map.set(key, value),
    delete: (key) => void map.delete(key),
    values: () => map.values(),
    get size() {
      return map.size;
    },
  };
}

export interface LowdbStoreOptions {
  /** The state folder (`store.path`). */
  dir: string;
  /** How far back (ms) to rebuild the provider-message-id index at open. */
  indexWindowMs: number;
  now?: () => number;
}

/**
 * The embedded store: a small hot file (`state.json`: timers, idempotency keys, outbox, dead
 * letters, de-duplication keys) and hourly message/inbound partitions, all lowdb with a durable
 * adapter and group commit.
 *
 * @example const store = await openLowdbStore({ dir: './data', indexWindowMs: 3 * 86_400_000 });
 */
export async function openLowdbStore(options: LowdbStoreOptions): Promise<Store> {
  const stats = { commits: 0, fileWrites: 0 };
  const gc = createGroupCommit(() => {
    stats.commits += 1;
  });
  const onWrite = () => {
    stats.fileWrites += 1;
  };

  const hotDb = new Low<HotData>(new DurableJSONFile(join(options.dir, 'state.json'), onWrite), emptyHot());
  await hotDb.read();
  hotDb.data = { ...emptyHot(), ...hotDb.data };
  const hotFile: Flushable = { flush: () => hotDb.write() };
  const touch = () => gc.markDirty(hotFile);
  const hot = <K extends keyof HotData>(k: K) => () => hotDb.data[k];

  const messages = createPartitioned<Message>({ dir: join(options.dir, 'messages'), gc, onWrite, pinned: (m) => !m.completedAt });
  const inbound = createPartitioned<InboundRecord>({ dir: join(options.dir, 'inbound'), gc, onWrite });
  const index = new Map<string, string>();
  const attemptIndex = memoryKeyValue(index);

  // Receipts find their attempt through this index; it is rebuilt from recent partitions only.
  const now = options.now ?? Date.now;
  const fromKey = new Date(now() - options.indexWindowMs).toISOString().slice(0, 13).replace('T', '/');
  for (const key of await messages.keys()) {
    if (key < fromKey) continue;
    const partition = await messages.load(key);
    for (const m of Object.values(partition.db.data.items)) {
      for (const a of m.attempts) {
        if (a.providerMessageId) attemptIndex.set(`${a.provider}/${a.providerMessageId}`, `${m.id}/${a.id}`);
      }
    }
  }
  // History stays on disk; partitions come back into memory when a message in them is touched.
  messages.release();

  return {
    timers: keyValue(hot('timers'), touch),
    idempotency: keyValue(hot('idempotency'), touch),
    outbox: keyValue(hot('outbox'), touch),
    deadLetters: keyValue(hot('deadLetters'), touch),
    seen: keyValue(hot('seen'), touch),
    parked: keyValue(hot('parked'), touch),
    messages: messages.collection,
    inbound: inbound.collection,
    attemptIndex,
    stats,
    async commit() {
      await Promise.all([messages.settle(), inbound.settle()]);
      await gc.commit();
    },
    async prune(cutoff, at) {
      const partitionsDeleted = (await messages.deleteBefore(cutoff)) + (await inbound.deleteBefore(cutoff));
      const data = hotDb.data;
      for (const [k, r] of Object.entries(data.idempotency)) if (r.expiresAt <= at) delete data.idempotency[k];
      for (const [k, exp] of Object.entries(data.seen)) if (exp <= at) delete data.seen[k];
      for (const [k, p] of Object.entries(data.parked)) if (p.expiresAt <= at) delete data.parked[k];
      for (const [k, ref] of index) {
        if (decodeTime(ref.slice(0, ref.indexOf('/'))) < at - options.indexWindowMs) index.delete(k);
      }
      touch();
      await gc.commit();
      return { partitionsDeleted };
    },
    async close() {
      await gc.drain();
    },
  };
}
