import type pg from 'pg';
import { StoreUnavailableError } from '../../errors.js';
import type { Queryable } from './pool.js';
import { asValidation } from './record-table.js';
import { isRetryable, isUnavailable, pause } from './unit-of-work.js';

interface Part {
  text: string;
  values: unknown[];
}

/**
 * Runs the statements `build` issues as ONE statement: each becomes a `WITH` clause of a single
 * query, which PostgreSQL runs atomically in its own transaction. A commit that wrote through
 * BEGIN, five to eight statements and COMMIT took as many round trips, each waiting for a turn of
 * a busy event loop; as one statement it takes one, and every accept waiting on that commit is
 * answered sooner.
 *
 * The clauses share one snapshot and run in no set order, so no two of them may touch the same
 * row: the callers write disjoint rows (one change per key per commit), and `store.ts` leaves out
 * a timer completion whose timer the same commit rewrites. A `SELECT` clause (a NOTIFY) runs only
 * if the query reads it, so the final SELECT does.
 *
 * A deadlock with another instance's commit is tried again, as `withTransaction` does; a server
 * that cannot be reached is a `StoreUnavailableError`.
 *
 * @example await writeAsOneStatement(pool, async (tx) => { await batchA.write(tx); await batchB.write(tx); });
 */
export async function writeAsOneStatement(pool: pg.Pool, build: (tx: Queryable) => Promise<void>): Promise<void> {
  const parts: Part[] = [];
  const recorder = {
    query: async (text: string, values: unknown[] = []) => {
      parts.push({ text, values });
      return { rows: [], rowCount: 0 };
    },
  } as unknown as Queryable;
  await build(recorder);
  if (parts.length === 0) return;
  const { text, values } = parts.length === 1 ? parts[0] : combine(parts);
  for (let attempt = 1; ; attempt++) {
    try {
      await pool.query(text, values);
      return;
    } catch (err) {
      if (isRetryable(err) && attempt <= 5) {
        await pause(attempt);
        continue;
      }
      throw isUnavailable(err) ? new StoreUnavailableError(err) : asValidation(err);
    }
  }
}

function combine(parts: readonly Part[]): Part {
  const values: unknown[] = [];
  const clauses: string[] = [];
  const selects: string[] = [];
  parts.forEach((part, i) => {
    const offset = values.length;
    values.push(...part.values);
    // Our statements hold no `$` but their parameters: renumbered past the clauses before them.
    clauses.push(`w${i} AS (${part.text.replace(/\$(\d+)/g, (_m, n: string) => `$${Number(n) + offset}`)})`);
    if (/^\s*SELECT\b/i.test(part.text)) selects.push(`(SELECT count(*) FROM w${i})`);
  });
  return { text: `WITH ${clauses.join(',\n')}\nSELECT ${selects.length > 0 ? selects.join(', ') : '1'}`, values };
}
