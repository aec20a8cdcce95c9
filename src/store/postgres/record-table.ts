import { AppError } from '../../errors.js';
import { idTime } from '../../ids.js';
import type { ListPage } from '../store.js';
import { jsonRows, RawJson, recordset } from './json-rows.js';
import type { Queryable } from './pool.js';

/** The shape `messages.ts` and `inbound.ts` give one table: body plus the columns lists filter on. */
export interface RecordTableSpec<T> {
  table: 'messages' | 'inbound';
  /** The creation-time column (`timestamptz`) that `since` and retention compare. */
  timeColumn: string;
  /** Columns besides `id` and `body`, in the order `columns(record)` gives their values. */
  columnNames: readonly string[];
  /** Their SQL types, for writing many rows in one statement. */
  columnTypes: readonly string[];
  columns: (record: T) => unknown[];
  /** List filter name → the SQL expression it compares with `=` (constants, never user input). */
  filters: Readonly<Record<string, string>>;
  /** The body column's type: `json` for a body only ever read whole (migration 003), else `jsonb`. */
  bodyType: 'json' | 'jsonb';
}

/** What a commit writes for one record, taken at `put` (the caller may change the record after). */
export interface PendingRow {
  row: readonly unknown[];
  /** Attempt keys to index (messages only). */
  keys: readonly string[];
}

export interface RecordListQuery {
  /** Only records whose id sorts before this one (ids are ULIDs: newest first). */
  before?: string;
  /** Only records created at or after this time (ms). */
  since?: number;
  limit: number;
}

/** At most this many bytes of JSON a record may take, as the file store's default line limit. */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;

// An escaped NUL: `\u0000` preceded by an even number of backslashes (an odd run is a literal `\`).
const ESCAPED_NUL = /(?<!\\)(?:\\\\)*\\u0000/;

/**
 * The record as the JSON text it is stored as: serialized once, here, so a record that cannot be
 * stored fails its own caller with a 400 (`validation_failed`) before any statement runs. jsonb
 * refuses NUL characters, which JSON itself allows.
 */
export function serialize(record: unknown, maxBytes = MAX_RECORD_BYTES): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(record);
  } catch {
    throw new AppError('validation_failed', 'the record cannot be stored: it is nested too deeply or holds something JSON cannot represent');
  }
  if (json === undefined) throw new AppError('validation_failed', 'the record cannot be stored: it is not a JSON value');
  if (ESCAPED_NUL.test(json)) throw new AppError('validation_failed', 'the record cannot be stored: it holds a NUL character');
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxBytes) throw new AppError('validation_failed', `the record takes ${bytes} bytes stored; at most ${maxBytes} are allowed`);
  return json;
}

/** What PostgreSQL says about a value it will not take (22xxx: data exception) is the caller's 400. */
export function asValidation(err: unknown): unknown {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('22') ? new AppError('validation_failed', `the record cannot be stored: ${(err as Error).message}`) : err;
}

/**
 * get / put / list over one record table. `list` filters in SQL (each filter column has an
 * index in list order, migration 002) and pages newest first by id, compared bytewise.
 */
export function recordTable<T extends { id: string }, F extends string>(spec: RecordTableSpec<T>) {
  const { table } = spec;
  const names = ['id', ...spec.columnNames, 'body'];
  const values = names.map((_, i) => (i === names.length - 1 ? `$${i + 1}::${spec.bodyType}` : `$${i + 1}`));
  const updates = names.slice(1).map((n) => `${n} = EXCLUDED.${n}`);
  const upsert = `INSERT INTO ${table} (${names.join(', ')}) VALUES (${values.join(', ')}) ON CONFLICT (id) DO UPDATE SET ${updates.join(', ')}`;
  const types = ['text', ...spec.columnTypes, spec.bodyType];
  const upsertMany = `INSERT INTO ${table} (${names.join(', ')}) SELECT ${names.join(', ')} FROM ${recordset('$1', names, types)}
    ON CONFLICT (id) DO UPDATE SET ${updates.join(', ')}`;

  return {
    async get(db: Queryable, id: string): Promise<T | undefined> {
      const { rows } = await db.query<{ body: T }>(`SELECT body FROM ${table} WHERE id = $1`, [id]);
      return rows[0]?.body;
    },

    /** Inserts or replaces `record`, its list columns in step with its body. */
    async put(db: Queryable, record: T, maxBytes?: number): Promise<void> {
      // Lists page by id in time order, as the file store's partitions do: ids must be ULIDs.
      if (idTime(record.id) === undefined) throw new AppError('validation_failed', `record id ${record.id} is not a ULID`);
      const json = serialize(record, maxBytes);
      await db.query(upsert, [record.id, ...spec.columns(record), json]).catch((err: unknown) => Promise.reject(asValidation(err)));
    },

    /** The row `putMany` writes for `record`: taken when the record is put, as its JSON is. */
    row: (record: T): unknown[] => [record.id, ...spec.columns(record)],

    /** Inserts or replaces many records in one statement (rows from `row`, JSON from `serialize`). */
    async putMany(db: Queryable, items: ReadonlyArray<{ row: readonly unknown[]; json: string }>): Promise<void> {
      if (items.length === 0) return;
      const rows = jsonRows(names, items.map((item) => [...item.row, new RawJson(item.json)]));
      await db.query(upsertMany, [rows]).catch((err: unknown) => Promise.reject(asValidation(err)));
    },

    /** Newest first; `next` is set when more records match (pass it as `before`). */
    async list(db: Queryable, query: RecordListQuery & Partial<Record<F, string>>): Promise<ListPage<T>> {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (sql: (p: string) => string, value: unknown) => {
        params.push(value);
        where.push(sql(`$${params.length}`));
      };
      if (query.before !== undefined) add((p) => `id COLLATE "C" < ${p}`, query.before);
      if (query.since !== undefined) add((p) => `${spec.timeColumn} >= to_timestamp(${p}::double precision / 1000)`, query.since);
      for (const [name, expr] of Object.entries(spec.filters)) {
        const value = (query as Record<string, unknown>)[name];
        if (value !== undefined) add((p) => `${expr} = ${p}`, value);
      }
      const limit = Math.max(0, Math.floor(query.limit));
      params.push(limit + 1);
      const sql = `SELECT body FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id COLLATE "C" DESC LIMIT $${params.length}`;
      const { rows } = await db.query<{ body: T }>(sql, params);
      const items = rows.slice(0, limit).map((r) => r.body);
      return rows.length > limit && items.length > 0 ? { items, next: items.at(-1)!.id } : { items };
    },
  };
}
