import type pg from 'pg';

export interface RetentionOptions {
  /** Records created before this time (ms) go, unless live state still names them. */
  cutoff: number;
  /** Expired keyed values (`expires_at <= now`, ms) go too. */
  now: number;
  /** Rows per statement (default 5,000): each statement is its own short transaction. */
  batchSize?: number;
  /** `kv` collections whose `value.messageId` keeps a record (default idempotency and outbox). */
  protect?: readonly string[];
}

export interface RetentionResult {
  messagesDeleted: number;
  inboundDeleted: number;
  kvExpired: number;
  /** Delete statements run, all tables together. */
  statements: number;
}

const DEFAULT_PROTECT = ['idempotency', 'outbox'] as const;

// One batch of one table: the oldest rows past the cutoff that no timer (`payload.message`) and
// no protected keyed value (`value.messageId`) names — the rule the file store keeps for its
// partitions. Rows a unit of work holds are skipped, not waited for. The `?` predicates match
// the partial indexes of migration 002.
const batchDelete = (table: 'messages' | 'inbound', timeColumn: string, alsoSql = '') => `
  WITH doomed AS (
    SELECT r.id FROM ${table} r
    WHERE r.${timeColumn} < to_timestamp($1::double precision / 1000)
      AND NOT EXISTS (SELECT 1 FROM timers t WHERE t.payload ? 'message' AND t.payload->>'message' = r.id)
      AND NOT EXISTS (SELECT 1 FROM kv WHERE kv.collection = ANY($3::text[]) AND kv.value ? 'messageId' AND kv.value->>'messageId' = r.id)
    ORDER BY r.${timeColumn} LIMIT $2
    FOR UPDATE SKIP LOCKED
  ), gone AS (
    DELETE FROM ${table} WHERE id IN (SELECT id FROM doomed) RETURNING id
  )${alsoSql}
  SELECT count(*)::int AS n FROM gone`;

// A deleted message's attempt keys go in the same statement: no receipt finds a message that is gone.
const DELETE_MESSAGES = batchDelete('messages', 'created_at', `, unindexed AS (
    DELETE FROM attempt_index WHERE message_id IN (SELECT id FROM gone)
  )`);
const DELETE_INBOUND = batchDelete('inbound', 'received_at');
const EXPIRE_KV = `
  WITH gone AS (
    DELETE FROM kv WHERE (collection, key) IN (SELECT collection, key FROM kv WHERE expires_at <= $1 LIMIT $2)
    RETURNING 1
  ) SELECT count(*)::int AS n FROM gone`;

/**
 * Deletes messages and inbound older than `cutoff`, and expired keyed values, in batches of
 * `batchSize` rows per statement, looping until a batch comes back short. Short statements keep
 * locks and WAL bursts small while the gateway goes on serving; several instances may run it at
 * once (locked rows are skipped, and each row is deleted once).
 *
 * @example const r = await prune(pool, { cutoff: now - 30 * 86_400_000, now }); // { messagesDeleted, … }
 */
export async function prune(pool: pg.Pool, options: RetentionOptions): Promise<RetentionResult> {
  const batch = options.batchSize ?? 5000;
  const protect = [...(options.protect ?? DEFAULT_PROTECT)];
  const result: RetentionResult = { messagesDeleted: 0, inboundDeleted: 0, kvExpired: 0, statements: 0 };
  const loop = async (sql: string, params: unknown[]): Promise<number> => {
    let total = 0;
    for (;;) {
      const { rows } = await pool.query<{ n: number }>(sql, params);
      result.statements++;
      total += rows[0].n;
      if (rows[0].n < batch) return total;
    }
  };
  result.messagesDeleted = await loop(DELETE_MESSAGES, [options.cutoff, batch, protect]);
  result.inboundDeleted = await loop(DELETE_INBOUND, [options.cutoff, batch, protect]);
  result.kvExpired = await loop(EXPIRE_KV, [options.now, batch]);
  return result;
}
