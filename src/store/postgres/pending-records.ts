import { AppError } from '../../errors.js';
import { idTime } from '../../ids.js';
import { RecordCache } from '../file/record-cache.js';
import type { ListPage, ListQuery, PartitionedCollection } from '../store.js';
import type { Queryable } from './pool.js';
import { MAX_RECORD_BYTES, serialize, type PendingRow } from './record-table.js';

/** What one record table offers the store (`createMessages(…)`, `inbound`). */
export interface RecordTableAccess<T> {
  get(db: Queryable, id: string): Promise<T | undefined>;
  /** What a commit writes for the record, taken at `put`. */
  row(record: T): PendingRow;
  putMany(db: Queryable, items: ReadonlyArray<PendingRow & { json: string }>): Promise<void>;
}

/** The puts one commit takes; `written()` once its transaction committed. */
export interface RecordBatch {
  write(tx: Queryable): Promise<void>;
  written(): void;
  readonly size: number;
}

interface Pending<T> extends PendingRow {
  record: T;
  /** The record as it was put: what the commit writes, whatever the caller changes in place after. */
  json: string;
  seq: number;
  /** Whether a commit may write it yet (a put made in a key hold waits for its holder's commit). */
  ready?: () => boolean;
}

/** Rows already read for the caller (with its key lock: `key-locks.ts`), used once instead of a query. */
export interface ReadAhead {
  take(id: string): { body: unknown } | undefined;
  /** The record was put or discarded: a row read before is out of date (and, `discarded`, an earlier put). */
  forget(id: string, discarded?: boolean): void;
  /** Whether this put repeats the caller's last one of `id` in its key hold, byte for byte. */
  putAgain?(id: string, json: string): boolean;
}

const DEFAULT_SCAN_LIMIT = 5000;
const PAGE = 200;

/**
 * A record table behind the store's `PartitionedCollection`: puts wait in a pending map until a
 * commit writes them (reads see them at once, as with the file store), and parsed records stay
 * in a cache bounded in bytes. `list` merges the pending puts into the table's rows, newest first.
 *
 * @example
 *   const messages = createPendingRecords(pool, 'messages', createMessages({ indexKeys }));
 *   messages.collection.put(m); const batch = messages.take(); …
 */
export function createPendingRecords<T extends { id: string }>(pool: Queryable, table: 'messages' | 'inbound', access: RecordTableAccess<T>, cacheBytes = 32 * 1024 * 1024, readAhead?: ReadAhead) {
  const pending = new Map<string, Pending<T>>();
  const cache = new RecordCache<T>(cacheBytes);
  let seq = 0;
  let onChange: (undo: () => void) => (() => boolean) | undefined = () => undefined;

  /** Table rows, newest first, `before`/`since` applied, a page at a time. */
  async function* stored(query: ListQuery<T>): AsyncGenerator<T> {
    let before = query.before;
    for (;;) {
      const params: unknown[] = [PAGE];
      const where: string[] = [];
      if (before !== undefined) where.push(`id COLLATE "C" < $${params.push(before)}`);
      if (query.since !== undefined) where.push(`${table === 'messages' ? 'created_at' : 'received_at'} >= to_timestamp($${params.push(query.since)}::double precision / 1000)`);
      const sql = `SELECT body FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id COLLATE "C" DESC LIMIT $1`;
      const { rows } = await pool.query<{ body: T }>(sql, params);
      for (const r of rows) yield r.body;
      if (rows.length < PAGE) return;
      before = rows.at(-1)!.body.id;
    }
  }

  /** Stored and pending records merged newest first; a pending put replaces its stored version. */
  async function* newestFirst(query: ListQuery<T>): AsyncGenerator<T> {
    const waiting = [...pending.values()]
      .map((p) => p.record)
      .filter((r) => (query.before === undefined || r.id < query.before) && (query.since === undefined || (idTime(r.id) ?? 0) >= query.since))
      .sort((a, b) => (a.id < b.id ? 1 : -1));
    // Against this snapshot, not the live map: a record put while the query runs is in neither
    // the snapshot nor replaced by it, so its stored row must still be listed.
    const replaced = new Set(waiting.map((r) => r.id));
    let i = 0;
    for await (const row of stored(query)) {
      while (i < waiting.length && waiting[i].id > row.id) yield waiting[i++];
      if (i < waiting.length && waiting[i].id === row.id) yield waiting[i++];
      else if (!replaced.has(row.id)) yield row;
    }
    while (i < waiting.length) yield waiting[i++];
  }

  const collection: PartitionedCollection<T> = {
    async get(id) {
      const hit = pending.get(id)?.record ?? cache.get(id);
      if (hit) return hit;
      const ahead = readAhead?.take(id);
      if (ahead) return ahead.body as T | undefined;
      const record = await access.get(pool, id);
      // A put while the read was in flight is newer than what the table held.
      const newer = pending.get(id)?.record ?? cache.peek(id);
      if (newer) return newer;
      if (record) cache.set(id, record, JSON.stringify(record).length);
      return record;
    },
    put(record) {
      if (idTime(record.id) === undefined) throw new AppError('validation_failed', `record id ${record.id} is not a ULID`);
      // Serialized now so a record that cannot be stored fails its own caller, not a later commit.
      const json = serialize(record, MAX_RECORD_BYTES);
      // A handler puts its message once more at the end, often unchanged since its last commit:
      // a rewrite of the same row, and a commit to wait for while holding a lock session.
      if (readAhead?.putAgain?.(record.id, json)) return;
      readAhead?.forget(record.id);
      const mine = ++seq;
      const put: Pending<T> = { record, json, ...access.row(record), seq: mine };
      pending.set(record.id, put);
      put.ready = onChange(() => {
        // Only while it is still this put: the next read then goes to the table.
        if (pending.get(record.id)?.seq === mine) pending.delete(record.id);
      });
    },
    discard(id) {
      readAhead?.forget(id, true);
      pending.delete(id);
      // The cached object may be the caller's, changed in place: the next get reads the table.
      cache.delete(id);
    },
    async list(query): Promise<ListPage<T>> {
      const scanLimit = query.scanLimit ?? DEFAULT_SCAN_LIMIT;
      const items: T[] = [];
      let scanned = 0;
      let last: string | undefined;
      for await (const record of newestFirst(query)) {
        // Another candidate exists past the last one looked at: the caller can go on from there.
        if (items.length >= query.limit || scanned >= scanLimit) return { items, next: last };
        scanned += 1;
        last = record.id;
        if (!query.filter || query.filter(record)) items.push(record);
      }
      return { items };
    },
  };

  return {
    collection,
    get pending(): number {
      return pending.size;
    },
    /** `listener` hears of each put, with how to take it back while it is still pending, and may answer whether a commit may write it yet. */
    onChange(listener: (undo: () => void) => (() => boolean) | undefined): void {
      onChange = listener;
    },
    /** The puts pending now; puts made while they are written stay for the next commit. */
    take(): RecordBatch {
      const batch = [...pending.values()].filter((p) => p.ready?.() ?? true);
      return {
        size: batch.length,
        write: async (tx) => {
          // Two statements however many records: one upsert of all rows, one of their attempt keys.
          await access.putMany(tx, batch);
        },
        written: () => {
          for (const p of batch) {
            const now = pending.get(p.record.id);
            if (now?.seq === p.seq) pending.delete(p.record.id);
            cache.set(p.record.id, p.record, p.json.length);
          }
        },
      };
    },
    /** Forgets cached records that retention may have deleted. */
    dropCached(matches: (id: string) => boolean): void {
      cache.deleteWhere(matches);
    },
  };
}

export type PendingRecords<T extends { id: string }> = ReturnType<typeof createPendingRecords<T>>;
