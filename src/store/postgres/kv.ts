import type { Queryable } from './pool.js';
import { serialize } from './record-table.js';

export interface KvOptions<T> {
  /** When (ms, the engine's clock) a value stops counting; `expire(now)` deletes it then. */
  expiresAt?: (value: T) => number | undefined;
}

/** Who won an `insertIfAbsent`: this call (`inserted`), or an earlier writer whose value this is. */
export interface InsertResult<T> {
  inserted: boolean;
  value: T;
}

// An expired value counts as absent: the conflict branch overwrites it (and returns the row),
// a live one is left alone (and returns nothing). The row lock the conflict takes makes a
// concurrent insert of the same key wait for this transaction, then see its outcome.
const INSERT_IF_ABSENT = `
  INSERT INTO kv (collection, key, value, expires_at) VALUES ($1, $2, $3::jsonb, $4)
  ON CONFLICT (collection, key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at
  WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= $5
  RETURNING value`;

/**
 * One keyed collection of hot state, shared by every instance: rows of the `kv` table under
 * `name`. Idempotency keys, the callback outbox, dead letters, seen keys — and later consent
 * windows and suppression — are each `kv(name)`, with the same transactional guarantees: pass
 * the unit of work's `tx` and the change commits with the rest of it.
 *
 * @example
 *   const idempotency = kv<IdempotencyRecord>('idempotency', { expiresAt: (r) => r.expiresAt });
 *   const { inserted, value } = await idempotency.insertIfAbsent(tx, key, record, clock.now());
 *   if (!inserted) return value.messageId; // another request (or instance) got there first
 */
export function kv<T>(name: string, options: KvOptions<T> = {}) {
  const expiry = (value: T) => options.expiresAt?.(value) ?? null;
  const get = async (db: Queryable, key: string): Promise<T | undefined> => {
    const { rows } = await db.query<{ value: T }>('SELECT value FROM kv WHERE collection = $1 AND key = $2', [name, key]);
    return rows[0]?.value;
  };
  return {
    name,
    get,

    async set(db: Queryable, key: string, value: T): Promise<void> {
      await db.query(
        `INSERT INTO kv (collection, key, value, expires_at) VALUES ($1, $2, $3::jsonb, $4)
         ON CONFLICT (collection, key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`,
        [name, key, serialize(value), expiry(value)],
      );
    },

    /** Returns whether a value was there. */
    async delete(db: Queryable, key: string): Promise<boolean> {
      const { rowCount } = await db.query('DELETE FROM kv WHERE collection = $1 AND key = $2', [name, key]);
      return (rowCount ?? 0) > 0;
    },

    /**
     * Stores `value` unless a live value is there (one whose expiry is after `now`, or none):
     * of two instances racing on one key, exactly one inserts and the other gets its value.
     */
    async insertIfAbsent(db: Queryable, key: string, value: T, now: number): Promise<InsertResult<T>> {
      const json = serialize(value);
      // A winner that deleted its value between our insert and our read: try again, a few times.
      for (let round = 0; round < 3; round++) {
        const inserted = await db.query<{ value: T }>(INSERT_IF_ABSENT, [name, key, json, expiry(value), now]);
        if (inserted.rows.length > 0) return { inserted: true, value: inserted.rows[0].value };
        const existing = await get(db, key);
        if (existing !== undefined) return { inserted: false, value: existing };
      }
      throw new Error(`kv ${name}: key ${key} keeps appearing and disappearing`);
    },

    /** Deletes values whose expiry is at or before `now`, at most `limit` per call; returns how many. */
    async expire(db: Queryable, now: number, limit = 5000): Promise<number> {
      const { rowCount } = await db.query(
        `DELETE FROM kv WHERE (collection, key) IN (
           SELECT collection, key FROM kv WHERE collection = $1 AND expires_at <= $2 LIMIT $3)`,
        [name, now, limit],
      );
      return rowCount ?? 0;
    },

    /** Up to `limit` entries in key order, after the key `after` (to page through a collection). */
    async entries(db: Queryable, limit: number, after?: string): Promise<[string, T][]> {
      const { rows } = await db.query<{ key: string; value: T }>(
        `SELECT key, value FROM kv WHERE collection = $1 AND ($2::text IS NULL OR key > $2) ORDER BY key LIMIT $3`,
        [name, after ?? null, limit],
      );
      return rows.map((r) => [r.key, r.value]);
    },
  };
}

export type Kv<T> = ReturnType<typeof kv<T>>;
