import type pg from 'pg';
import type { Queryable } from './pool.js';
import { AppError, StoreUnavailableError } from '../../errors.js';

/** One client inside an open transaction: every collection call of a unit of work takes it. */
export type Tx = pg.PoolClient;

export interface TransactionOptions {
  /** Default `read committed`: each statement sees what others committed before it. */
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
  /** How many times a serialization failure or deadlock re-runs `fn` (default 5). */
  retries?: number;
  /** Told of each retry (for a metric or a debug line). */
  onRetry?: (err: Error, attempt: number) => void;
}

// 40001 serialization_failure, 40P01 deadlock_detected: PostgreSQL rolled the transaction back
// and says trying again may work.
const RETRYABLE = new Set(['40001', '40P01']);

// Class 08 connection exceptions; the server shutting down or not yet up (57P0x); no free
// connection slot (53300). Node's socket errors come with their errno names.
// 57014: a statement cancelled by `statement_timeout` (a server too busy to answer in time).
const UNAVAILABLE_CODES = new Set(['57014', '57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// What `pg` itself throws when a socket closes or a connect times out carries no code.
const UNAVAILABLE_MESSAGES = /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Client was closed|Query read timeout/i;

/** Whether `err` says the database cannot be reached (rather than that a statement was wrong). */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; errors?: unknown[] } | undefined;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (code.startsWith('08') || UNAVAILABLE_CODES.has(code)) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true;
  // A host with several addresses fails with an AggregateError of one socket error each.
  return Array.isArray(e.errors) && e.errors.some(isUnavailable);
}

const sqlState = (err: unknown): string | undefined => (err as { code?: unknown })?.code as string | undefined;

/** PostgreSQL rolled the work back (a serialization failure or deadlock) and running it again may work. */
export const isRetryable = (err: unknown): boolean => RETRYABLE.has(sqlState(err) ?? '');

/**
 * Runs `fn(tx)` as one transaction: all of its writes become visible to others at COMMIT, or none
 * of them (ROLLBACK on any throw). A serialization failure or deadlock re-runs `fn` from the start
 * (so `fn` must only touch the database through `tx` and be safe to run again); a lost or refused
 * connection rejects with the core's `StoreUnavailableError` — the HTTP layer answers 503 with
 * `Retry-After`. A connection lost *during* COMMIT leaves its outcome unknown: that too is a 503,
 * never an acknowledgement, and the client's retry with its idempotency key settles it.
 *
 * @example
 *   const m = await withTransaction(pool, async (tx) => {
 *     await lockMessage(tx, id);
 *     const m = await messages.get(tx, id); …; await messages.put(tx, m); return m;
 *   });
 */
export async function withTransaction<T>(pool: pg.Pool, fn: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const retries = options.retries ?? 5;
  const begin = options.isolation ? `BEGIN ISOLATION LEVEL ${options.isolation.toUpperCase()}` : 'BEGIN';
  for (let attempt = 1; ; attempt++) {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw new StoreUnavailableError(err);
    }
    let broken: Error | undefined;
    // A checked-out client whose server goes away between two statements (while `fn` awaits
    // something else) emits `error`; unheard, that is an uncaught exception that ends the process.
    // Heard, the next statement fails and the client is thrown away on release.
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
    try {
      await client.query(begin);
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A client whose connection failed is destroyed on release instead of going back to the pool.
      if (isUnavailable(err)) broken ??= err as Error;
      else if (!broken) await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      if (isRetryable(err) && attempt <= retries) {
        options.onRetry?.(err as Error, attempt);
        await pause(attempt);
        continue;
      }
      // Whatever `fn` made of a lost connection, nothing of it committed: the caller hears 503.
      throw isUnavailable(err) || (broken && !(err instanceof AppError)) ? new StoreUnavailableError(err) : err;
    } finally {
      client.off('error', onError);
      client.release(broken ?? false);
    }
  }
}

// A few ms, growing and jittered, so two transactions that collided do not collide again in step.
export const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * 2 ** Math.min(attempt, 6)));

/**
 * Serializes work on one message across every instance: a transaction-level advisory lock on the
 * id's 64-bit hash, held until COMMIT or ROLLBACK. A receipt and a timeout for one message, at two
 * instances, run one after the other, the second seeing the first's commit. Never hold it across
 * a provider call: claim the attempt and commit, send, then apply the result in a new unit of work.
 * (Two ids with one hash only wait for each other; nothing is lost.)
 */
export async function lockMessage(tx: Tx, id: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [id]);
}

/**
 * `pool` for reads outside a unit of work, failing as a unit of work does: a server that cannot be
 * reached is a `StoreUnavailableError` (503 with `Retry-After`), not an internal error.
 */
export function reachable(pool: pg.Pool): Queryable {
  const query = (text: string, values?: unknown[]) =>
    pool.query(text, values).catch((err: unknown) => Promise.reject(isUnavailable(err) ? new StoreUnavailableError(err) : err));
  return { query } as Queryable;
}
