import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { TimerRecord } from '../../src/model.js';
import { migrate } from '../../src/store/postgres/migrate.js';
import { createPool } from '../../src/store/postgres/pool.js';
import { completeTimers, createTimerLeases, type ClaimedTimer, type TimerLeases } from '../../src/store/postgres/timer-leases.js';
import { createDatabase } from '../helpers/postgres.js';

let db: Awaited<ReturnType<typeof createDatabase>>;
let pool: pg.Pool;
let leases: TimerLeases;
const T = 1_800_000_000_000;

beforeAll(async () => {
  db = await createDatabase(inject('postgresUrl'));
  pool = createPool({ url: db.url, max: 4 });
  await migrate(pool);
  leases = createTimerLeases(pool);
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

beforeEach(async () => {
  await pool.query('DELETE FROM timers');
});

const timer = (id: string, due: number, payload: TimerRecord['payload'] = { message: id }): TimerRecord => ({ id, kind: 'step-timeout', due, payload });

describe('timer leases', () => {
  it('three concurrent claimers over 300 due timers claim each exactly once', async () => {
    for (let i = 0; i < 300; i += 50) {
      const batch = Array.from({ length: 50 }, (_, j) => timer(`t${String(i + j).padStart(3, '0')}`, T - 1000 + i + j));
      await Promise.all(batch.map((t) => leases.schedule(t)));
    }
    const claimers = ['a', 'b', 'c'].map((owner) => ({ owner, pool: createPool({ url: db.url, max: 1 }), got: [] as ClaimedTimer[] }));
    const started = performance.now();
    try {
      await Promise.all(
        claimers.map(async ({ owner, pool: own, got }) => {
          const mine = createTimerLeases(own);
          for (;;) {
            const claimed = await mine.claimDue({ owner, now: T, limit: 10, leaseMs: 30_000 });
            if (claimed.length === 0) return;
            got.push(...claimed);
            for (const t of claimed) expect(await mine.complete(owner, t)).toBe(true);
          }
        }),
      );
    } finally {
      await Promise.all(claimers.map((c) => c.pool.end()));
    }
    const seconds = (performance.now() - started) / 1000;
    const ids = claimers.flatMap((c) => c.got.map((t) => t.id));
    expect(ids).toHaveLength(300);
    expect(new Set(ids).size).toBe(300);
    expect(claimers.every((c) => c.got.length > 0)).toBe(true);
    expect(await leases.nextDue()).toBeUndefined();
    console.log(
      `postgres timers: 3 claimers took 300 due timers (claim 10 + complete each) in ${(seconds * 1000).toFixed(0)} ms = ${(300 / seconds).toFixed(0)} timers/s; split ${claimers.map((c) => c.got.length).join('/')}`,
    );
  });

  it('claims only due timers, in due order, with the payload and a lease', async () => {
    await leases.schedule(timer('late', T + 5000));
    await leases.schedule(timer('second', T - 10, { message: 'm2', step: 1 }));
    await leases.schedule(timer('first', T - 20));
    const claimed = await leases.claimDue({ owner: 'a', now: T, limit: 10, leaseMs: 1000 });
    expect(claimed.map((t) => t.id)).toEqual(['first', 'second']);
    expect(claimed[1]).toMatchObject({ kind: 'step-timeout', due: T - 10, payload: { message: 'm2', step: 1 }, owner: 'a', leaseUntil: T + 1000 });
    expect(await leases.claimDue({ owner: 'b', now: T, limit: 10, leaseMs: 1000 })).toEqual([]);
    expect(await leases.nextDue()).toBe(T + 1001);
  });

  it('a lease that runs out is taken over by another owner, and the first cannot complete it', async () => {
    await leases.schedule(timer('x', T));
    const [mine] = await leases.claimDue({ owner: 'a', now: T, limit: 1, leaseMs: 1000 });
    expect(await leases.claimDue({ owner: 'b', now: T + 1000, limit: 1, leaseMs: 1000 })).toEqual([]);
    const [taken] = await leases.claimDue({ owner: 'b', now: T + 1001, limit: 1, leaseMs: 1000 });
    expect(taken).toMatchObject({ id: 'x', owner: 'b', leaseUntil: T + 2001 });
    expect(await leases.complete('a', mine)).toBe(false);
    expect(await leases.renew({ owner: 'a', ids: ['x'], now: T + 1002, leaseMs: 1000 })).toEqual([]);
    expect(await leases.complete('b', taken)).toBe(true);
    expect(await leases.nextDue()).toBeUndefined();
  });

  it('claiming ahead takes timers due soon but never a lease that has not run out yet', async () => {
    await leases.schedule(timer('held', T));
    await leases.schedule(timer('soon', T + 200));
    await leases.claimDue({ owner: 'a', now: T, limit: 1, leaseMs: 1000 });
    // b looks 250 ms ahead at T + 900: `soon` is claimable, `held` (a's until T + 1000) is not.
    const ahead = await leases.claimDue({ owner: 'b', now: T + 900, dueBy: T + 1150, limit: 10, leaseMs: 1000 });
    expect(ahead.map((t) => t.id)).toEqual(['soon']);
    // The next claimable moment with a 250 ms look-ahead: a's lease running out.
    expect(await leases.nextDue(250)).toBe(T + 1001);
    await leases.schedule(timer('later', T + 1100));
    expect(await leases.nextDue(250)).toBe(T + 850);
  });

  it('renewing keeps a lease past its first term; a lease already run out cannot be renewed', async () => {
    await leases.schedule(timer('x', T));
    await leases.schedule(timer('y', T));
    const claimed = await leases.claimDue({ owner: 'a', now: T, limit: 2, leaseMs: 1000 });
    expect(await leases.renew({ owner: 'a', ids: ['x', 'y'], now: T + 900, leaseMs: 1000 })).toEqual(expect.arrayContaining(['x', 'y']));
    expect(await leases.claimDue({ owner: 'b', now: T + 1500, limit: 5, leaseMs: 1000 })).toEqual([]);
    expect(await leases.renew({ owner: 'a', ids: ['x'], now: T + 1800, leaseMs: 1000 })).toEqual(['x']);
    expect(await leases.renew({ owner: 'a', ids: ['y'], now: T + 1901, leaseMs: 1000 })).toEqual([]);
    expect((await leases.claimDue({ owner: 'b', now: T + 1901, limit: 5, leaseMs: 1000 })).map((t) => t.id)).toEqual(['y']);
    expect(await leases.complete('a', claimed.find((t) => t.id === 'x')!)).toBe(true);
  });

  it('a renewal does not wait for a row a commit is writing: it renews the others and leaves that one for its next round', async () => {
    await leases.schedule(timer('x', T));
    await leases.schedule(timer('y', T));
    await leases.claimDue({ owner: 'a', now: T, limit: 2, leaseMs: 1000 });
    const writer = await pool.connect();
    try {
      // A commit in flight holds the row of y (its completion, say).
      await writer.query('BEGIN');
      await writer.query("UPDATE timers SET due = due WHERE id = 'y'");
      const renewed = await leases.renew({ owner: 'a', ids: ['x', 'y'], now: T + 500, leaseMs: 1000 });
      expect(renewed).toEqual(['x']);
      await writer.query('ROLLBACK');
    } finally {
      writer.release();
    }
    expect(await leases.renew({ owner: 'a', ids: ['x', 'y'], now: T + 900, leaseMs: 1000 })).toEqual(expect.arrayContaining(['x', 'y']));
    const rows = (await pool.query<{ id: string; lease_until: string }>('SELECT id, lease_until FROM timers ORDER BY id')).rows;
    expect(rows.map((r) => Number(r.lease_until))).toEqual([T + 1900, T + 1900]);
  });

  it('complete leaves a timer its handler rescheduled, and a canceled one is gone', async () => {
    await leases.schedule(timer('x', T));
    const [fired] = await leases.claimDue({ owner: 'a', now: T, limit: 1, leaseMs: 1000 });
    await leases.schedule(timer('x', T - 1, { message: 'again' }));
    // Due at once again: even the same owner re-claiming it does not let the old claim remove it.
    const [again] = await leases.claimDue({ owner: 'a', now: T, limit: 1, leaseMs: 1000 });
    expect(again).toMatchObject({ id: 'x', payload: { message: 'again' } });
    expect(await leases.complete('a', fired)).toBe(false);
    expect(await leases.complete('a', again)).toBe(true);

    await leases.schedule(timer('y', T + 10));
    expect(await leases.cancel('y')).toBe(true);
    expect(await leases.cancel('y')).toBe(false);
    expect(await leases.nextDue()).toBeUndefined();
  });

  it('completes many claims in one statement, each only if it is still that claim', async () => {
    for (const id of ['p', 'q', 'r', 's']) await leases.schedule(timer(id, T));
    const claimed = await leases.claimDue({ owner: 'a', now: T, limit: 4, leaseMs: 1000 });
    const by = (id: string) => claimed.find((t) => t.id === id)!;
    // q rescheduled by its handler; r released (same revision, no owner); s stays unfinished.
    await leases.schedule(timer('q', T + 5000));
    await pool.query('UPDATE timers SET lease_owner = NULL, lease_until = NULL WHERE id = $1', ['r']);
    const claims = ['p', 'q', 'r'].map((id) => ({ id, owner: 'a', revision: by(id).revision }));
    expect(await completeTimers(pool, [...claims, { id: 's', owner: 'b', revision: by('s').revision }])).toBe(1);
    expect((await pool.query('SELECT id FROM timers ORDER BY id')).rows.map((r) => r.id)).toEqual(['q', 'r', 's']);
    expect(await completeTimers(pool, [])).toBe(0);
  });

  it('completes together with the handler’s effects, or not at all', async () => {
    await leases.schedule(timer('x', T));
    const [fired] = await leases.claimDue({ owner: 'a', now: T, limit: 1, leaseMs: 1000 });
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("INSERT INTO kv (collection, key, value) VALUES ('effects', 'x', '1')");
      expect(await leases.complete('a', fired, client)).toBe(true);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    const { rows } = await pool.query('SELECT id, lease_owner FROM timers');
    expect(rows).toEqual([{ id: 'x', lease_owner: 'a' }]);
  });
});

describe('timer wake-ups', () => {
  it('notify only when a schedule brings the next due time forward', async () => {
    expect(await leases.schedule(timer('a', T + 1000))).toBe(true);
    expect(await leases.schedule(timer('b', T + 2000))).toBe(false);
    expect(await leases.schedule(timer('c', T + 500))).toBe(true);
    expect(await leases.schedule(timer('c', T + 400))).toBe(true);
    expect(await leases.nextDue()).toBe(T + 400);
  });

  it('a listener wakes soon after another client schedules a sooner timer, and again after losing its connection', async () => {
    const wakes: { due?: number; at: number }[] = [];
    let onWake: () => void = () => undefined;
    const listener = leases.listen({
      onWake: (due) => {
        wakes.push({ due, at: performance.now() });
        onWake();
      },
      minRetryMs: 50,
    });
    const other = createPool({ url: db.url, max: 1 });
    const woken = (n: number) => new Promise<void>((resolve) => {
      onWake = () => wakes.length >= n && resolve();
      onWake();
    });
    try {
      await listener.ready;
      const sent = performance.now();
      await createTimerLeases(other).schedule(timer('soon', T + 100));
      await withTimeout(woken(1), 2000, 'no wake-up after a schedule');
      expect(wakes[0].due).toBe(T + 100);
      const latency = wakes[0].at - sent;

      // The server drops the listener's connection: it reconnects, wakes once (it may have missed
      // something), and hears the next schedule.
      await other.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN switchboard_timers' AND datname = current_database()");
      await withTimeout(woken(2), 5000, 'no wake-up after reconnecting');
      expect(wakes[1].due).toBeUndefined();
      expect(listener.listening).toBe(true);
      await createTimerLeases(other).schedule(timer('sooner', T + 50));
      await withTimeout(woken(3), 2000, 'no wake-up after a schedule once reconnected');
      expect(wakes[2].due).toBe(T + 50);
      console.log(`postgres timers: NOTIFY wake-up ${latency.toFixed(1)} ms after the schedule; reconnected in ${(wakes[1].at - wakes[0].at).toFixed(0)} ms`);
    } finally {
      await listener.close();
      await other.end();
    }
    expect(listener.listening).toBe(false);
  });
});

async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let handle: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (handle = setTimeout(() => reject(new Error(message)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(handle);
  }
}
