import { join } from 'node:path';
import { idTime } from '../../ids.js';
import type { InboundRecord, Message } from '../../model.js';
import type { KeyValue, Store } from '../store.js';
import { createGroupCommit } from './group-commit.js';
import { HotState } from './hot-state.js';
import { createSegmentLog, segmentKey } from './segments.js';

const HOT = ['timers', 'idempotency', 'outbox', 'deadLetters', 'seen', 'parked', 'inflight'] as const;

function hotKeyValue<T>(hot: HotState, name: string): KeyValue<T> {
  const map = hot.maps[name] as Map<string, T>;
  return {
    get: (key) => map.get(key),
    set: (key, value) => hot.set(name, key, value),
    delete: (key) => hot.delete(name, key),
    values: () => map.values(),
    entries: () => map.entries(),
    get size() {
      return map.size;
    },
  };
}

function memoryKeyValue<T>(map: Map<string, T>): KeyValue<T> {
  return {
    get: (key) => map.get(key),
    set: (key, value) => void map.set(key, value),
    delete: (key) => void map.delete(key),
    values: () => map.values(),
    entries: () => map.entries(),
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
 * The embedded store. Hot state (timers, idempotency keys, callback outbox, dead letters,
 * de-duplication keys, parked receipts) lives in memory, journaled and folded into a lowdb
 * snapshot (`state.json`); messages and inbound messages live in hourly append-only files. All
 * writes are group-committed: one append and one fsync per file for every change made meanwhile.
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

  const hot = await HotState.open(options.dir, HOT, { onWrite, touch: () => gc.markDirty(hot) });
  const messages = createSegmentLog<Message>({ dir: join(options.dir, 'messages'), gc, onWrite });
  const inbound = createSegmentLog<InboundRecord>({ dir: join(options.dir, 'inbound'), gc, onWrite });
  const index = new Map<string, string>();

  // Receipts find their attempt through this index; it is rebuilt from recent segments only.
  const now = options.now ?? Date.now;
  const fromKey = segmentKey(now() - options.indexWindowMs);
  for (const key of await messages.keys()) {
    if (key < fromKey) continue;
    for (const m of await messages.scan(key)) {
      for (const a of m.attempts) {
        if (a.providerMessageId) index.set(`${a.provider}/${a.providerMessageId}`, m.id);
      }
    }
  }

  return {
    timers: hotKeyValue(hot, 'timers'),
    idempotency: hotKeyValue(hot, 'idempotency'),
    outbox: hotKeyValue(hot, 'outbox'),
    deadLetters: hotKeyValue(hot, 'deadLetters'),
    seen: hotKeyValue(hot, 'seen'),
    parked: hotKeyValue(hot, 'parked'),
    inflight: hotKeyValue(hot, 'inflight'),
    messages: messages.collection,
    inbound: inbound.collection,
    attemptIndex: memoryKeyValue(index),
    stats,
    writable: true,
    commit: () => gc.commit(),
    async prune(cutoff, at) {
      const partitionsDeleted = (await messages.deleteBefore(cutoff)) + (await inbound.deleteBefore(cutoff));
      const expire = <T>(name: string, expired: (v: T) => boolean) => {
        for (const [k, v] of hot.maps[name] as Map<string, T>) if (expired(v)) hot.delete(name, k);
      };
      expire<{ expiresAt: number }>('idempotency', (r) => r.expiresAt <= at);
      expire<number>('seen', (exp) => exp <= at);
      expire<{ expiresAt: number }>('parked', (p) => p.expiresAt <= at);
      for (const [k, messageId] of index) {
        if ((idTime(messageId) ?? 0) < at - options.indexWindowMs) index.delete(k);
      }
      await gc.commit();
      return { partitionsDeleted };
    },
    async close() {
      await gc.drain();
      await messages.close();
      await inbound.close();
      await hot.close();
    },
  };
}
