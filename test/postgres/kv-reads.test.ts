import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kv } from '../../src/store/postgres/kv.js';
import { createKvReads } from '../../src/store/postgres/kv-reads.js';
import type { Queryable } from '../../src/store/postgres/pool.js';
import { migratedDatabase, type TestDatabase } from '../helpers/pg-records.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await migratedDatabase(inject('postgresUrl'));
  await kv<string>('a').set(db.pool, 'k1', 'a1');
  await kv<string>('a').set(db.pool, 'k2', 'a2');
  await kv<string>('b').set(db.pool, 'k1', 'b1');
});
afterAll(() => db.close());

/** The pool, counting the statements sent through it. */
function counted(): { db: Queryable; statements: () => number } {
  let n = 0;
  return {
    db: { query: (text: string, values?: unknown[]) => ((n += 1), db.pool.query(text, values)) } as Queryable,
    statements: () => n,
  };
}

describe('kv reads gathered per turn of the event loop', () => {
  it('answers every read asked in one turn with one statement, each caller its own keys and collection', async () => {
    const c = counted();
    const reads = createKvReads(c.db);
    const [one, missing, many, other] = await Promise.all([
      reads.one('a', 'k1'),
      reads.one('a', 'nope'),
      reads.many('a', ['k1', 'k2', 'k3']),
      reads.many('b', ['k1', 'k2']),
    ]);
    expect(c.statements()).toBe(1);
    expect(one).toBe('a1');
    expect(missing).toBeUndefined();
    expect([...many]).toEqual([['k1', 'a1'], ['k2', 'a2']]);
    expect([...other]).toEqual([['k1', 'b1']]);

    // A later turn asks again, and sees what was committed meanwhile.
    await kv<string>('a').set(db.pool, 'k3', 'a3');
    expect(await reads.one('a', 'k3')).toBe('a3');
    expect(c.statements()).toBe(2);
  });

  it('fails every caller of a statement that fails, and the next turn reads again', async () => {
    let broken = true;
    const reads = createKvReads({
      query: (text: string, values?: unknown[]) => (broken ? Promise.reject(new Error('connection lost')) : db.pool.query(text, values)),
    } as Queryable);
    const results = await Promise.allSettled([reads.one('a', 'k1'), reads.many('b', ['k1'])]);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'fulfilled'))).toEqual(['connection lost', 'connection lost']);
    broken = false;
    expect(await reads.one('a', 'k1')).toBe('a1');
  });
});
