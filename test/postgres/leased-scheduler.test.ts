/**
 * The scheduler on shared timers: two instances (two stores on one database, each with its own
 * leased scheduler) fire every timer exactly once between them, a failed handler's timer fires
 * again, a handler that reschedules its own timer keeps it, and a dead instance's claimed timer is
 * taken over once its lease runs out.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import type { TimerRecord } from '../../src/model.js';
import { createLeasedScheduler } from '../../src/scheduler/leased.js';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import type { Store } from '../../src/store/store.js';
import { createDatabase } from '../helpers/postgres.js';

let db: { url: string; drop(): Promise<void> };
const stores: Store[] = [];
const schedulers: Array<ReturnType<typeof createLeasedScheduler>> = [];

async function instance(leaseMs = 15_000, lookaheadMs?: number) {
  const store = await openPostgresStore({ url: db.url, indexKeys: () => [], indexWindowMs: 0, leaseMs });
  stores.push(store);
  const scheduler = createLeasedScheduler({ timers: store.timers, shared: store.sharedTimers!, commit: () => store.commit(), clock: systemClock, logger: pino({ level: 'silent' }), retryAfterMs: 200, lookaheadMs });
  schedulers.push(scheduler);
  return { store, scheduler };
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out: ${check.toString()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeEach(async () => {
  db = await createDatabase(inject('postgresUrl'));
});
afterEach(async () => {
  for (const s of schedulers.splice(0)) await s.stop();
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  await db.drop();
});

describe('the leased scheduler', () => {
  it('two instances fire 300 timers exactly once between them, near their due time', async () => {
    const a = await instance();
    const b = await instance();
    const fired = new Map<string, string[]>();
    const lags: number[] = [];
    for (const [name, x] of [['a', a], ['b', b]] as const) {
      x.scheduler.register('tick', async (t) => {
        fired.set(t.id, [...(fired.get(t.id) ?? []), name]);
        lags.push(Date.now() - t.due);
      });
      x.scheduler.start();
    }
    const due = Date.now() + 300;
    for (let i = 0; i < 300; i += 1) (i % 2 ? a : b).scheduler.schedule('tick', due + i, {}, `t${i}`);
    await Promise.all([a.store.commit(), b.store.commit()]);
    await until(() => fired.size === 300);
    await new Promise((r) => setTimeout(r, 300));
    expect([...fired.values()].every((by) => by.length === 1)).toBe(true);
    const byA = [...fired.values()].filter((by) => by[0] === 'a').length;
    lags.sort((x, y) => x - y);
    console.log(`leased scheduler: 300 timers, ${byA} fired by a and ${300 - byA} by b, lag p50 ${lags[150]} ms, p99 ${lags[296]} ms`);
    expect(Number((await a.store.timers.all()).length)).toBe(0);
  });

  it('a handler that throws fires again; one that reschedules its own timer keeps it', async () => {
    const a = await instance();
    const runs: string[] = [];
    a.scheduler.register('flaky', async (t) => {
      runs.push(t.id);
      if (runs.filter((id) => id === t.id).length === 1) throw new Error('first try fails');
    });
    a.scheduler.register('again', async (t) => {
      runs.push(t.id);
      if (Number(t.payload.n) < 2) a.scheduler.schedule('again', Date.now() + 50, { n: Number(t.payload.n) + 1 }, t.id);
      await a.store.commit();
    });
    a.scheduler.start();
    a.scheduler.schedule('flaky', Date.now(), {}, 'f');
    a.scheduler.schedule('again', Date.now(), { n: 0 }, 'g');
    await a.store.commit();
    await until(() => runs.filter((id) => id === 'f').length === 2 && runs.filter((id) => id === 'g').length === 3);
    await new Promise((r) => setTimeout(r, 400));
    expect(runs.filter((id) => id === 'f')).toHaveLength(2);
    expect(runs.filter((id) => id === 'g')).toHaveLength(3);
    expect(await a.store.timers.fetch('g')).toBeUndefined();
  });

  it('a timer claimed ahead of its due time and then canceled or moved does not fire at the old time', async () => {
    // A long look-ahead, so both are surely claimed ahead however busy the machine is.
    const a = await instance(15_000, 2500);
    const fired: Array<{ id: string; at: number }> = [];
    a.scheduler.register('t', async (t) => {
      fired.push({ id: t.id, at: Date.now() });
    });
    a.scheduler.start();
    const due = Date.now() + 2000;
    a.scheduler.schedule('t', due, {}, 'canceled');
    a.scheduler.schedule('t', due, {}, 'moved');
    await a.store.commit();
    // Both are claimed ahead before they change.
    await until(() => a.scheduler.running === 2);
    a.scheduler.cancel('canceled');
    a.scheduler.schedule('t', due + 600, {}, 'moved');
    await a.store.commit();
    await until(() => fired.length === 1, 6000);
    await new Promise((r) => setTimeout(r, 200));
    expect(fired.map((f) => f.id)).toEqual(['moved']);
    expect(fired[0].at).toBeGreaterThanOrEqual(due + 600);
  });

  it('a claimed timer of an instance that died is taken over once its lease runs out', async () => {
    const leaseMs = 800;
    const a = await instance(leaseMs);
    const b = await instance(leaseMs);
    let claimedByA: TimerRecord | undefined;
    // `a` claims the timer and then hangs in its handler, as a process that died would.
    a.scheduler.register('fallback', async (t) => {
      claimedByA = t;
      await new Promise(() => undefined);
    });
    a.scheduler.start();
    a.scheduler.schedule('fallback', Date.now(), {}, 'x');
    await a.store.commit();
    await until(() => claimedByA !== undefined);
    // A hanging handler is still renewed by a live process; a dead one renews nothing: stop a's
    // scheduler and close its store (its sessions go), leaving the lease to run out.
    const killedAt = Date.now();
    schedulers.splice(schedulers.indexOf(a.scheduler), 1);
    stores.splice(stores.indexOf(a.store), 1);
    // Stops its loop and renewals; never resolves, since the handler never does.
    void a.scheduler.stop();
    await a.store.close();
    let takenAt = 0;
    b.scheduler.register('fallback', async () => {
      takenAt = Date.now();
    });
    b.scheduler.start();
    await until(() => takenAt > 0);
    const takeover = takenAt - killedAt;
    console.log(`leased scheduler: a dead claimer's timer taken over ${takeover} ms after it stopped renewing (lease ${leaseMs} ms)`);
    expect(takeover).toBeLessThan(leaseMs + 1500);
  });
});
