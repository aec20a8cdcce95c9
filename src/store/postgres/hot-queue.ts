import type { TimerRecord } from '../../model.js';
import type { KeyValue } from '../store.js';
import { fetchEach } from '../file/key-value.js';
import { jsonRows, RawJson, recordset } from './json-rows.js';
import { createKvReads, type KvReads } from './kv-reads.js';
import type { Queryable } from './pool.js';
import { TIMER_CHANNEL } from './timer-leases.js';
import { expiryOf } from '../hot-collections.js';

/** One queued change of one hot key: a value to upsert, or `undefined` for a delete. */
interface Change {
  name: string;
  key: string;
  value: unknown;
  /** Which change of this key it is: a write removes it from the queue only if no newer one came. */
  seq: number;
  /** Whether a commit may write it yet (a change made in a key hold waits for its holder's commit). */
  ready?: () => boolean;
}

/** The changes one commit takes; `written()` once its transaction committed. */
export interface HotBatch {
  write(tx: Queryable): Promise<void>;
  written(): void;
  readonly size: number;
  /** Ids of the timers this batch writes or deletes. */
  readonly timerIds: ReadonlySet<string>;
}

// jsonb refuses NUL characters, which JSON allows. A hot value holding one (a provider's receipt
// text, say) must not make every later commit fail, so it is stored with U+FFFD instead.
const ESCAPED_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g;
const toJson = (value: unknown): string => JSON.stringify(value).replace(ESCAPED_NUL, '$1\\ufffd');

const KV_COLUMNS = ['collection', 'key', 'value', 'expires_at'];
const UPSERT_KV = `
  INSERT INTO kv (collection, key, value, expires_at)
  SELECT ${KV_COLUMNS.join(', ')} FROM ${recordset('$1', KV_COLUMNS, ['text', 'text', 'jsonb', 'bigint'])}
  ON CONFLICT (collection, key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`;
const DELETE_KV = 'DELETE FROM kv WHERE (collection, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))';
// One instance owns every timer, so leases stay empty; a rescheduled timer gets a new revision
// as `timer-leases.ts` expects once several instances claim them.
const TIMER_COLUMNS = ['id', 'kind', 'due', 'payload'];
const UPSERT_TIMERS = `
  INSERT INTO timers (id, kind, due, payload)
  SELECT ${TIMER_COLUMNS.join(', ')} FROM ${recordset('$1', TIMER_COLUMNS, ['text', 'text', 'bigint', 'jsonb'])}
  ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, due = EXCLUDED.due, payload = EXCLUDED.payload,
    lease_owner = NULL, lease_until = NULL, revision = nextval('timer_revisions')`;
const DELETE_TIMERS = 'DELETE FROM timers WHERE id = ANY($1::text[])';
// Delivered at commit: listeners look for due timers at once instead of at their next poll.
const NOTIFY_TIMERS = `SELECT pg_notify('${TIMER_CHANNEL}', $1::text)`;

/** How a queue shared by several instances reads what it does not hold. */
export interface SharedReads {
  db: Queryable;
  /** Stamped on every value written (the `inflight` owner). */
  stamp?: (name: string, value: unknown) => unknown;
  deadLetterMaxAgeMs: number;
  /** After a commit that wrote timers, with the earliest due time written (this process's scheduler looks for them at once). */
  onTimersWritten?: (earliestDue: number) => void;
  /** Other instances are told of new timers at most this often (default 100 ms): notifying commits queue up in PostgreSQL. */
  notifyEveryMs?: number;
}

/**
 * The hot state of a one-instance PostgreSQL store: named maps wholly in memory (read
 * synchronously, as the engine does today), loaded from the `kv` and `timers` tables at open.
 * Every `set`/`delete` changes the map at once and queues the change; `take()` hands the queue to
 * a commit, which writes it in its transaction. A failed commit leaves the changes queued.
 *
 * @example
 *   const hot = await loadHotQueue(pool, ['timers', 'idempotency']);
 *   hot.keyValue('timers').set('t1', timer);
 *   const batch = hot.take(); await withTransaction(pool, (tx) => batch.write(tx)); batch.written();
 */
export class HotQueue {
  readonly maps: Record<string, Map<string, unknown>>;
  readonly #queue = new Map<string, Change>();
  #seq = 0;
  readonly #onChange: (undo: () => void) => (() => boolean) | undefined;
  readonly #shared: SharedReads | undefined;
  readonly #kvReads: KvReads | undefined;
  #notifiedAt = 0;

  /**
   * `shared`: other instances write the same tables, so the maps hold only this process's
   * changes not yet committed, and `fetch`/`all` read the tables for the rest.
   */
  /**
   * `onChange` hears of each queued change, with how to take it back while it is still queued,
   * and may answer whether a commit may write it yet.
   */
  constructor(names: readonly string[], onChange: (undo: () => void) => (() => boolean) | undefined, shared?: SharedReads) {
    this.maps = Object.fromEntries(names.map((n) => [n, new Map<string, unknown>()]));
    this.#onChange = onChange;
    this.#shared = shared;
    this.#kvReads = shared ? createKvReads(shared.db) : undefined;
  }

  /** This process's queued change of a key: `{value}` (undefined for a delete), or undefined if none. */
  #queued(name: string, key: string): { value: unknown } | undefined {
    const change = this.#queue.get(`${name}\u0000${key}`);
    return change ? { value: change.value } : undefined;
  }

  async #read(name: string, key: string): Promise<unknown> {
    const queued = this.#queued(name, key);
    if (queued || !this.#shared) return queued ? queued.value : this.maps[name].get(key);
    if (name === 'timers') {
      const { rows } = await this.#shared.db.query<{ id: string; kind: string; due: string; payload: TimerRecord['payload'] }>('SELECT id, kind, due, payload FROM timers WHERE id = $1', [key]);
      return rows[0] ? { id: rows[0].id, kind: rows[0].kind, due: Number(rows[0].due), payload: rows[0].payload } : undefined;
    }
    return this.#kvReads!.one(name, key);
  }

  async #readMany(name: string, keys: readonly string[]): Promise<Map<string, unknown>> {
    if (!this.#shared || name === 'timers') return fetchEach((key) => this.#read(name, key), keys);
    const unqueued = keys.filter((k) => !this.#queued(name, k));
    const found = await this.#kvReads!.many(name, unqueued);
    for (const key of keys) {
      const queued = this.#queued(name, key);
      if (queued && queued.value !== undefined) found.set(key, queued.value);
    }
    return found;
  }

  async #readAll(name: string): Promise<unknown[]> {
    if (!this.#shared) return [...this.maps[name].values()];
    const { rows } = await this.#shared.db.query<{ key: string; value: unknown }>('SELECT key, value FROM kv WHERE collection = $1', [name]);
    const merged = new Map(rows.map((r) => [r.key, r.value]));
    for (const c of this.#queue.values()) {
      if (c.name !== name) continue;
      if (c.value === undefined) merged.delete(c.key);
      else merged.set(c.key, c.value);
    }
    return [...merged.values()];
  }

  get queued(): number {
    return this.#queue.size;
  }

  #enqueue(name: string, key: string, value: unknown): void {
    const id = `${name}\u0000${key}`;
    const seq = ++this.#seq;
    const change: Change = { name, key, value, seq };
    this.#queue.set(id, change);
    change.ready = this.#onChange(() => {
      // Only while it is still this change: a newer one is someone else's to keep or take back.
      if (this.#queue.get(id)?.seq !== seq) return;
      this.#queue.delete(id);
      if (this.#shared) this.maps[name].delete(key);
    });
  }

  keyValue<T>(name: string): KeyValue<T> {
    const map = this.maps[name] as Map<string, T>;
    return {
      get: (key) => map.get(key),
      fetch: async (key) => (await this.#read(name, key)) as T | undefined,
      fetchMany: async (keys) => (await this.#readMany(name, keys)) as Map<string, T>,
      all: async () => (await this.#readAll(name)) as T[],
      set: (key, value) => {
        map.set(key, value);
        this.#enqueue(name, key, value);
      },
      delete: (key) => {
        // Shared: the key may be in the table without this process ever holding it.
        if (map.delete(key) || this.#shared) this.#enqueue(name, key, undefined);
      },
      values: () => map.values(),
      entries: () => map.entries(),
      get size() {
        return map.size;
      },
    };
  }

  /**
   * The changes queued now, serialized now (a value changed in place later goes with a later
   * `set`). Changes made while the batch is written stay queued for the next commit.
   */
  take(): HotBatch {
    // A timer's row keeps kind and due in columns, so only its payload is JSON.
    const stamp = this.#shared?.stamp ?? ((_name: string, value: unknown) => value);
    const maxAge = this.#shared?.deadLetterMaxAgeMs ?? Number.POSITIVE_INFINITY;
    const changes = [...this.#queue.values()].filter((c) => c.ready?.() ?? true).map((c) => {
      const timer = c.name === 'timers' ? (c.value as TimerRecord | undefined) : undefined;
      const json = c.value === undefined ? undefined : toJson(timer ? timer.payload : stamp(c.name, c.value));
      return { ...c, json, kind: timer?.kind, due: timer?.due };
    });
    return {
      size: changes.length,
      timerIds: new Set(changes.flatMap((c) => (c.name === 'timers' ? [c.key] : []))),
      write: async (tx) => {
        const kvUp = changes.filter((c) => c.name !== 'timers' && c.json !== undefined);
        const kvDown = changes.filter((c) => c.name !== 'timers' && c.json === undefined);
        const timersUp = changes.filter((c) => c.name === 'timers' && c.json !== undefined);
        const timersDown = changes.filter((c) => c.name === 'timers' && c.json === undefined);
        if (kvUp.length > 0) {
          await tx.query(UPSERT_KV, [jsonRows(KV_COLUMNS, kvUp.map((c) => [c.name, c.key, new RawJson(c.json!), expiryOf(c.name, c.value, maxAge)]))]);
        }
        if (kvDown.length > 0) await tx.query(DELETE_KV, [kvDown.map((c) => c.name), kvDown.map((c) => c.key)]);
        if (timersUp.length > 0) {
          await tx.query(UPSERT_TIMERS, [jsonRows(TIMER_COLUMNS, timersUp.map((c) => [c.key, c.kind, c.due, new RawJson(c.json!)]))]);
          if (this.#shared && performance.now() - this.#notifiedAt >= (this.#shared.notifyEveryMs ?? 100)) {
            this.#notifiedAt = performance.now();
            await tx.query(NOTIFY_TIMERS, [String(timersUp.reduce((min, c) => Math.min(min, c.due ?? 0), Number.POSITIVE_INFINITY))]);
          }
        }
        if (timersDown.length > 0) await tx.query(DELETE_TIMERS, [timersDown.map((c) => c.key)]);
      },
      written: () => {
        const dues = changes.flatMap((c) => (c.name === 'timers' && c.due !== undefined ? [c.due] : []));
        if (dues.length > 0) this.#shared?.onTimersWritten?.(Math.min(...dues));
        for (const c of changes) {
          const id = `${c.name}\u0000${c.key}`;
          if (this.#queue.get(id)?.seq !== c.seq) continue;
          this.#queue.delete(id);
          // Shared: committed values live in the tables; memory keeps only what is not yet there.
          if (this.#shared) this.maps[c.name].delete(c.key);
        }
      },
    };
  }
}
