import type { Queryable } from './pool.js';

/**
 * `<instance>/<provider message id>` → message id, shared by every instance: a provider's receipt
 * may land at any of them. Keys are added as a message's attempts get provider ids (by
 * `messages.put`) and dropped by retention with their message.
 */
export const attemptIndex = {
  /** Points each of `keys` at `messageId` (a key re-used by a provider moves to the newer message). */
  async add(db: Queryable, messageId: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await db.query(
      `INSERT INTO attempt_index (key, message_id) SELECT k, $1 FROM unnest($2::text[]) AS k
       ON CONFLICT (key) DO UPDATE SET message_id = EXCLUDED.message_id WHERE attempt_index.message_id <> EXCLUDED.message_id`,
      [messageId, [...new Set(keys)]],
    );
  },

  /** `add` for many messages in one statement: `[messageId, key]` pairs. */
  async addMany(db: Queryable, pairs: ReadonlyArray<readonly [string, string]>): Promise<void> {
    if (pairs.length === 0) return;
    // One row per key (the last pair wins), as ON CONFLICT cannot touch a row twice in a statement.
    const byKey = new Map(pairs.map(([messageId, key]) => [key, messageId]));
    await db.query(
      `INSERT INTO attempt_index (key, message_id) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (key) DO UPDATE SET message_id = EXCLUDED.message_id WHERE attempt_index.message_id <> EXCLUDED.message_id`,
      [[...byKey.keys()], [...byKey.values()]],
    );
  },

  async get(db: Queryable, key: string): Promise<string | undefined> {
    const { rows } = await db.query<{ message_id: string }>('SELECT message_id FROM attempt_index WHERE key = $1', [key]);
    return rows[0]?.message_id;
  },
};
