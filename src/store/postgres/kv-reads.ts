import type { Queryable } from './pool.js';

interface Wanted {
  name: string;
  keys: readonly string[];
  resolve: (found: Map<string, unknown>) => void;
  reject: (err: unknown) => void;
}

// Statements stay a reasonable size however many callers asked at once.
const MAX_KEYS = 1000;

/**
 * Reads of `kv` rows by key, gathered over one turn of the event loop and answered by one
 * statement. Under load many callers look up a key or two at once — an accept its recipient's
 * suppression entries, a send's answer its parked receipts, a webhook its event id — and each
 * lookup on its own is a round trip that wakes a server process and a pooled connection for a
 * few microseconds of work. A caller waits at most until the loop's check phase. Each statement
 * starts after every read it answers was asked for, so it sees at least what a read of its own
 * would have.
 *
 * @example const reads = createKvReads(pool); const found = await reads.many('suppressions', ['sms:+1555…']);
 */
export function createKvReads(db: Queryable) {
  let wanted: Wanted[] = [];

  async function flush(batch: Wanted[]): Promise<void> {
    const names: string[] = [];
    const keys: string[] = [];
    const asked = new Set<string>();
    for (const w of batch) {
      for (const key of w.keys) {
        const id = `${w.name}\u0000${key}`;
        if (asked.has(id)) continue;
        asked.add(id);
        names.push(w.name);
        keys.push(key);
      }
    }
    const rows: Array<{ collection: string; key: string; value: unknown }> = [];
    try {
      for (let i = 0; i < keys.length; i += MAX_KEYS) {
        const result = await db.query<{ collection: string; key: string; value: unknown }>(
          'SELECT collection, key, value FROM kv WHERE (collection, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))',
          [names.slice(i, i + MAX_KEYS), keys.slice(i, i + MAX_KEYS)],
        );
        rows.push(...result.rows);
      }
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    const byId = new Map(rows.map((r) => [`${r.collection}\u0000${r.key}`, r.value]));
    for (const w of batch) {
      const found = new Map<string, unknown>();
      for (const key of w.keys) {
        const value = byId.get(`${w.name}\u0000${key}`);
        if (value !== undefined) found.set(key, value);
      }
      w.resolve(found);
    }
  }

  return {
    /** The stored values of `keys` in collection `name` (keys without a row are left out). */
    many(name: string, keys: readonly string[]): Promise<Map<string, unknown>> {
      if (keys.length === 0) return Promise.resolve(new Map());
      return new Promise((resolve, reject) => {
        if (wanted.length === 0) {
          setImmediate(() => {
            const batch = wanted;
            wanted = [];
            void flush(batch);
          });
        }
        wanted.push({ name, keys, resolve, reject });
      });
    },
    async one(name: string, key: string): Promise<unknown> {
      return (await this.many(name, [key])).get(key);
    },
  };
}

export type KvReads = ReturnType<typeof createKvReads>;
