import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { IdempotencyRecord } from '../../src/model.js';
import { kv } from '../../src/store/postgres/kv.js';
import { withTransaction } from '../../src/store/postgres/unit-of-work.js';
import { migratedDatabase, type TestDatabase } from '../helpers/pg-records.js';

let db: TestDatabase;
const NOW = 1_800_000_000_000;
const idempotency = kv<IdempotencyRecord>('idempotency', { expiresAt: (r) => r.expiresAt });
const record = (key: string, messageId: string, expiresAt = NOW + 86_400_000): IdempotencyRecord => ({ key, messageId, bodyHash: `h-${messageId}`, expiresAt });

beforeAll(async () => {
  db = await migratedDatabase(inject('postgresUrl'));
});
afterAll(() => db.close());

describe('kv collections', () => {
  it('get, set, delete, entries in key order, and expire — each collection apart from the others', async () => {
    const seen = kv<number>('seen', { expiresAt: (at) => at });
    const other = kv<number>('other');
    for (let i = 0; i < 25; i++) await seen.set(db.pool, `k${String(i).padStart(2, '0')}`, NOW + (i < 10 ? -1 : 1000));
    await other.set(db.pool, 'k00', 7);
    await seen.set(db.pool, 'k24', NOW + 5000);
    expect(await seen.get(db.pool, 'k24')).toBe(NOW + 5000);
    expect(await other.get(db.pool, 'k00')).toBe(7);

    const keys: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await seen.entries(db.pool, 10, after);
      if (page.length === 0) break;
      keys.push(...page.map(([k]) => k));
      after = page.at(-1)![0];
    }
    expect(keys).toEqual(Array.from({ length: 25 }, (_, i) => `k${String(i).padStart(2, '0')}`));

    expect(await seen.expire(db.pool, NOW, 4)).toBe(4);
    expect(await seen.expire(db.pool, NOW)).toBe(6);
    expect(await seen.get(db.pool, 'k09')).toBeUndefined();
    expect(await other.expire(db.pool, Number.MAX_SAFE_INTEGER)).toBe(0); // no expiry: never expires
    expect(await seen.delete(db.pool, 'k10')).toBe(true);
    expect(await seen.delete(db.pool, 'k10')).toBe(false);
    expect((await seen.entries(db.pool, 100)).length).toBe(14);
  });

  it('insertIfAbsent from two pools at once: exactly one wins per key, the other gets the winner’s value', async () => {
    const [a, b] = [db.openPool(4), db.openPool(4)];
    const keys = Array.from({ length: 200 }, (_, i) => `race-${i}`);
    const started = performance.now();
    // Both transactions of a key have begun before either inserts: a real race, decided by the
    // primary key (each pool takes keys in the same order, so the partners always meet).
    const arrived = new Map<string, { count: number; both: Promise<void>; open: () => void }>();
    const meet = (key: string) => {
      let entry = arrived.get(key);
      if (!entry) {
        let open!: () => void;
        const both = new Promise<void>((resolve) => (open = resolve));
        arrived.set(key, (entry = { count: 0, both, open }));
      }
      if (++entry.count === 2) entry.open();
      return entry.both;
    };
    const race = (key: string, side: 'a' | 'b') =>
      withTransaction(side === 'a' ? a : b, async (tx) => {
        await meet(key);
        return idempotency.insertIfAbsent(tx, key, record(key, `${key}-${side}`), NOW);
      });
    const results = await Promise.all(keys.flatMap((key) => [race(key, 'a'), race(key, 'b')]));
    const ms = performance.now() - started;
    const wins = { a: 0, b: 0 };
    for (let i = 0; i < keys.length; i++) {
      const [ra, rb] = [results[2 * i], results[2 * i + 1]];
        expect(ra.inserted !== rb.inserted, keys[i]).toBe(true);
      expect(ra.value).toEqual(rb.value);
      expect(await idempotency.get(db.pool, keys[i])).toEqual(ra.value);
      wins[ra.inserted ? 'a' : 'b']++;
    }
    expect(Math.min(wins.a, wins.b)).toBeGreaterThan(0);
    console.log(`postgres kv: 200 keys raced by 2 pools (400 insertIfAbsent transactions) in ${ms.toFixed(0)} ms = ${(400_000 / ms).toFixed(0)}/s; wins a/b ${wins.a}/${wins.b}`);
  });

  it('a racer waits for an uncommitted winner: its value if it commits, the racer’s own if it rolls back', async () => {
    const [a, b] = [db.openPool(1), db.openPool(1)];
    for (const outcome of ['commit', 'rollback'] as const) {
      const key = `held-${outcome}`;
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let inserted!: () => void;
      const insertedYet = new Promise<void>((resolve) => (inserted = resolve));
      const winner = withTransaction(a, async (tx) => {
        await idempotency.insertIfAbsent(tx, key, record(key, 'from-a'), NOW);
        inserted();
        await held;
        if (outcome === 'rollback') throw new Error('client went away');
      }).catch(() => undefined);
      await insertedYet;
      let settled = false;
      const racer = withTransaction(b, (tx) => idempotency.insertIfAbsent(tx, key, record(key, 'from-b'), NOW)).finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(settled).toBe(false);
      release();
      await winner;
      const result = await racer;
      expect(result).toEqual(outcome === 'commit' ? { inserted: false, value: record(key, 'from-a') } : { inserted: true, value: record(key, 'from-b') });
    }
  });

  it('an expired value counts as absent: the next insert replaces it', async () => {
    await idempotency.set(db.pool, 'old', record('old', 'm-old', NOW - 1));
    const again = await idempotency.insertIfAbsent(db.pool, 'old', record('old', 'm-new'), NOW);
    expect(again).toEqual({ inserted: true, value: record('old', 'm-new') });
    const live = await idempotency.insertIfAbsent(db.pool, 'old', record('old', 'm-third'), NOW);
    expect(live).toEqual({ inserted: false, value: record('old', 'm-new') });
  });
});
