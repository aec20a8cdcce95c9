import type { TimerRecord } from '../../model.js';
import type { KeyValue } from '../store.js';
import type { Queryable } from './pool.js';

/** One queued change of one hot key: a value to upsert, or `undefined` for a delete. */
interface Change {
  name: string;
  key: string;
  value: unknown;
  /** Which change of this key it is: a write removes it from the queue only if no newer one came. */
  seq: number;
}

/** The changes one commit takes; `written()` once its transaction committed. */
export interface HotBatch {
  write(tx: Queryable): Promise<void>;
  written(): void;
  readonly size: number;
}

// jsonb refuses NUL characters, which JSON allows. A hot value holding one (a provider's receipt
// text, say) must not make every later commit fail, so it is stored with U+FFFD instead.
const ESCAPED_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g;
const toJson = (value: unknown): string => JSON.stringify(value).replace(ESCAPED_NUL, '$1\\ufffd');

/**
 * When a value stops counting (ms), for the `kv.expires_at` column retention reads: exactly the
 * collections `prune` expires in memory by the same rule, so the table never loses what memory holds.
 */
function expiresAt(name: string, value: unknown): number | null {
  if (name === 'seen') return typeof value === 'number' ? value : null;
  if (name !== 'idempotency' && name !== 'parked') return null;
  const at = (value as { expiresAt?: unknown } | null)?.expiresAt;
  return typeof at === 'number' ? at : null;
}

const UPSERT_KV = `
  INSERT INTO kv (collection, key, value, expires_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::bigint[])
  ON CONFLICT (collection, key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`;
const DELETE_KV = 'DELETE FROM kv WHERE (collection, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))';
// One instance owns every timer, so leases stay empty; a rescheduled timer gets a new revision
// as `timer-leases.ts` expects once several instances claim them.
const UPSERT_TIMERS = `
  INSERT INTO timers (id, kind, due, payload)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::jsonb[])
  ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, due = EXCLUDED.due, payload = EXCLUDED.payload,
    lease_owner = NULL, lease_until = NULL, revision = nextval('timer_revisions')`;
const DELETE_TIMERS = 'DELETE FROM timers WHERE id = ANY($1::text[])';

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
  readonly #onChange: () => void;

  constructor(names: readonly string[], onChange: () => void) {
    this.maps = Object.fromEntries(names.map((n) => [n, new Map<string, unknown>()]));
    this.#onChange = onChange;
  }

  /** Fills the maps from the database (before any change is made). */
  async load(db: Queryable): Promise<void> {
    const names = Object.keys(this.maps).filter((n) => n !== 'timers');
    const { rows } = await db.query<{ collection: string; key: string; value: unknown }>('SELECT collection, key, value FROM kv WHERE collection = ANY($1::text[])', [names]);
    for (const r of rows) this.maps[r.collection].set(r.key, r.value);
    if (!this.maps.timers) return;
    const timers = await db.query<{ id: string; kind: string; due: string; payload: TimerRecord['payload'] }>('SELECT id, kind, due, payload FROM timers');
    for (const t of timers.rows) this.maps.timers.set(t.id, { id: t.id, kind: t.kind, due: Number(t.due), payload: t.payload });
  }

  get queued(): number {
    return this.#queue.size;
  }

  #enqueue(name: string, key: string, value: unknown): void {
    this.#queue.set(`${name}\u0000${key}`, { name, key, value, seq: ++this.#seq });
    this.#onChange();
  }

  keyValue<T>(name: string): KeyValue<T> {
    const map = this.maps[name] as Map<string, T>;
    return {
      get: (key) => map.get(key),
      set: (key, value) => {
        map.set(key, value);
        this.#enqueue(name, key, value);
      },
      delete: (key) => {
        if (map.delete(key)) this.#enqueue(name, key, undefined);
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
    const changes = [...this.#queue.values()].map((c) => {
      const timer = c.name === 'timers' ? (c.value as TimerRecord | undefined) : undefined;
      const json = c.value === undefined ? undefined : toJson(timer ? timer.payload : c.value);
      return { ...c, json, kind: timer?.kind, due: timer?.due };
    });
    return {
      size: changes.length,
      write: async (tx) => {
        const kvUp = changes.filter((c) => c.name !== 'timers' && c.json !== undefined);
        const kvDown = changes.filter((c) => c.name !== 'timers' && c.json === undefined);
        const timersUp = changes.filter((c) => c.name === 'timers' && c.json !== undefined);
        const timersDown = changes.filter((c) => c.name === 'timers' && c.json === undefined);
        if (kvUp.length > 0) {
          await tx.query(UPSERT_KV, [kvUp.map((c) => c.name), kvUp.map((c) => c.key), kvUp.map((c) => c.json), kvUp.map((c) => expiresAt(c.name, c.value))]);
        }
        if (kvDown.length > 0) await tx.query(DELETE_KV, [kvDown.map((c) => c.name), kvDown.map((c) => c.key)]);
        if (timersUp.length > 0) {
          await tx.query(UPSERT_TIMERS, [timersUp.map((c) => c.key), timersUp.map((c) => c.kind), timersUp.map((c) => c.due), timersUp.map((c) => c.json)]);
        }
        if (timersDown.length > 0) await tx.query(DELETE_TIMERS, [timersDown.map((c) => c.key)]);
      },
      written: () => {
        for (const c of changes) {
          const id = `${c.name}\u0000${c.key}`;
          if (this.#queue.get(id)?.seq === c.seq) this.#queue.delete(id);
        }
      },
    };
  }
}
