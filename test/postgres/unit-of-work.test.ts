import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AppError, StoreUnavailableError } from '../../src/errors.js';
import { kv } from '../../src/store/postgres/kv.js';
import { createMessages } from '../../src/store/postgres/messages.js';
import { createPool } from '../../src/store/postgres/pool.js';
import { lockMessage, withTransaction } from '../../src/store/postgres/unit-of-work.js';
import { message, migratedDatabase, type TestDatabase } from '../helpers/pg-records.js';
import { freePort } from '../helpers/postgres.js';

let db: TestDatabase;
const messages = createMessages({ indexKeys: (m) => m.attempts.map((a) => `${a.provider}/${a.providerMessageId}`) });
const outbox = kv<{ messageId: string }>('outbox');
const T = Date.UTC(2026, 10, 1);

beforeAll(async () => {
  db = await migratedDatabase(inject('postgresUrl'));
});
afterAll(() => db.close());

/** A promise and its resolver: the tests' way of making two transactions meet. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('withTransaction', () => {
  it('commits a message, its attempt keys and a keyed value together, invisible to others before COMMIT', async () => {
    const other = db.openPool(1);
    const m = message(T);
    await withTransaction(db.pool, async (tx) => {
      await messages.put(tx, m);
      await outbox.set(tx, m.id, { messageId: m.id });
      expect(await messages.get(other, m.id)).toBeUndefined();
      expect(await outbox.get(other, m.id)).toBeUndefined();
    });
    expect(await messages.get(other, m.id)).toEqual(m);
    expect(await outbox.get(other, m.id)).toEqual({ messageId: m.id });
    const { rows } = await other.query('SELECT message_id FROM attempt_index WHERE key = $1', [`mock/pm-${m.id}`]);
    expect(rows).toEqual([{ message_id: m.id }]);
  });

  it('leaves nothing behind when fn throws or a later write is refused, and rethrows the error as it was', async () => {
    const m = message(T + 1);
    const boom = new Error('boom');
    await expect(withTransaction(db.pool, async (tx) => {
      await messages.put(tx, m);
      throw boom;
    })).rejects.toBe(boom);
    expect(await messages.get(db.pool, m.id)).toBeUndefined();

    const bad = { ...message(T + 2), content: { text: 'nul \u0000 here' } };
    const err = await withTransaction(db.pool, async (tx) => {
      await outbox.set(tx, m.id, { messageId: m.id });
      await messages.put(tx, bad);
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'validation_failed', status: 400 });
    expect(await outbox.get(db.pool, m.id)).toBeUndefined();
  });

  it('two transactions on one message from two pools serialize through lockMessage: the second sees the first', async () => {
    const m = message(T + 3);
    await withTransaction(db.pool, (tx) => messages.put(tx, m));
    const [a, b] = [db.openPool(1), db.openPool(1)];
    const aLocked = gate();
    const aMayCommit = gate();
    let bLockedAt = 0;
    const first = withTransaction(a, async (tx) => {
      await lockMessage(tx, m.id);
      aLocked.open();
      const mine = (await messages.get(tx, m.id))!;
      mine.history.push({ at: new Date().toISOString(), event: 'receipt' });
      await messages.put(tx, mine);
      await aMayCommit.opened;
    });
    await aLocked.opened;
    const second = withTransaction(b, async (tx) => {
      await lockMessage(tx, m.id);
      bLockedAt = performance.now();
      const mine = (await messages.get(tx, m.id))!;
      mine.history.push({ at: new Date().toISOString(), event: 'timeout' });
      await messages.put(tx, mine);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(bLockedAt).toBe(0);
    const releasedAt = performance.now();
    aMayCommit.open();
    await Promise.all([first, second]);
    expect(bLockedAt).toBeGreaterThanOrEqual(releasedAt);
    expect((await messages.get(db.pool, m.id))!.history.map((h) => h.event)).toEqual(['accepted', 'receipt', 'timeout']);

    // And under load: 40 read-modify-writes from both pools, none lost.
    const started = performance.now();
    await Promise.all(Array.from({ length: 40 }, (_, i) => withTransaction(i % 2 ? a : b, async (tx) => {
      await lockMessage(tx, m.id);
      const mine = (await messages.get(tx, m.id))!;
      mine.history.push({ at: new Date().toISOString(), event: `n${i}` });
      await messages.put(tx, mine);
    })));
    const ms = performance.now() - started;
    expect((await messages.get(db.pool, m.id))!.history).toHaveLength(43);
    console.log(`postgres units of work: 40 locked read-modify-writes of one message from 2 pools in ${ms.toFixed(0)} ms = ${(40_000 / ms).toFixed(0)}/s`);
  });

  it('re-runs a transaction that hit a serialization failure or a deadlock', async () => {
    const counters = kv<number>('counters');
    const retries: string[] = [];
    const bothRead = gate();
    let read = 0;
    // Write skew under SERIALIZABLE: each reads the collection, then writes its own key.
    const skew = (key: string) => {
      let runs = 0;
      return withTransaction(db.pool, async (tx) => {
        const seen = (await counters.entries(tx, 100)).length;
        if (runs++ === 0 && ++read === 2) bothRead.open();
        if (runs === 1) await bothRead.opened;
        await counters.set(tx, key, seen);
      }, { isolation: 'serializable', onRetry: (err) => retries.push((err as { code?: string }).code ?? '?') });
    };
    await Promise.all([skew('a'), skew('b')]);
    expect(retries).toContain('40001');
    expect((await counters.entries(db.pool, 10)).map(([, n]) => n).sort()).toEqual([0, 1]);

    // A deadlock: two transactions take two message locks in opposite orders.
    const bothHoldOne = gate();
    let holding = 0;
    const crossed = (x: string, y: string) => {
      let runs = 0;
      return withTransaction(db.pool, async (tx) => {
        await lockMessage(tx, x);
        if (runs++ === 0 && ++holding === 2) bothHoldOne.open();
        if (runs === 1) await bothHoldOne.opened;
        await lockMessage(tx, y);
      }, { onRetry: (err) => retries.push((err as { code?: string }).code ?? '?') });
    };
    await Promise.all([crossed('x', 'y'), crossed('y', 'x')]);
    expect(retries).toContain('40P01');
  });

  it('turns a refused connection and a killed one into StoreUnavailableError (503, Retry-After), and recovers', async () => {
    const nobody = createPool({ url: `postgres://127.0.0.1:${await freePort()}/x`, max: 1, connectTimeoutMs: 1000 });
    const refused = await withTransaction(nobody, async () => 1).catch((e: unknown) => e);
    await nobody.end();
    expect(refused).toBeInstanceOf(StoreUnavailableError);
    expect(refused).toMatchObject({ status: 503, code: 'unavailable', retryAfter: 5 });

    const victim = db.openPool(1, 'sb-victim');
    const m = message(T + 4);
    const killed = await withTransaction(victim, async (tx) => {
      await messages.put(tx, m);
      await db.pool.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sb-victim'");
      await tx.query('SELECT 1');
    }).catch((e: unknown) => e);
    expect(killed).toBeInstanceOf(StoreUnavailableError);
    expect(await messages.get(db.pool, m.id)).toBeUndefined();
    // The broken client was thrown away, not handed out again.
    expect(await withTransaction(victim, async (tx) => (await tx.query('SELECT 2 AS n')).rows[0])).toEqual({ n: 2 });
  });
});
