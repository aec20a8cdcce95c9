import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { TimerRecord } from '../../src/model.js';
import { MinHeap } from '../../src/scheduler/heap.js';
import { createScheduler } from '../../src/scheduler/scheduler.js';
import { memoryKeyValue } from '../../src/store/file/key-value.js';
import type { KeyValue } from '../../src/store/store.js';
import { manualClock } from '../helpers/clock.js';

const memory = (): KeyValue<TimerRecord> => memoryKeyValue(new Map<string, TimerRecord>());

describe('min-heap', () => {
  it('pops in due order, ties by id', () => {
    const heap = new MinHeap();
    const items = [5, 3, 9, 1, 3, 7, 2].map((due, i) => ({ due, id: `t${i}` }));
    for (const item of items) heap.push(item);
    const out: string[] = [];
    while (heap.size > 0) out.push(heap.pop()!.id);
    expect(out).toEqual(['t3', 't6', 't1', 't4', 't0', 't5', 't2']);
  });
});

describe('scheduler', () => {
  it('fires overdue stored timers at start in due order, reporting their lag', async () => {
    const m = manualClock();
    const timers = memory();
    for (const [id, due] of [['c', 300], ['a', 100], ['b', 200]] as const) timers.set(id, { id, kind: 'k', due: 1_000_000 - 1000 + due, payload: {} });
    const fired: string[] = [];
    const lags: number[] = [];
    const s = createScheduler({ timers, commit: async () => {}, clock: m.clock, logger: pino({ level: 'silent' }), onFire: (_k, lag) => lags.push(lag) });
    s.register('k', async (t) => void fired.push(t.id));
    s.start();
    m.advance(0);
    await s.idle();
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(lags).toEqual([900, 800, 700]);
    expect(timers.size).toBe(0);
  });

  it('keeps one armed timeout for the earliest timer, and canceled timers never fire', async () => {
    const m = manualClock();
    const s = createScheduler({ timers: memory(), commit: async () => {}, clock: m.clock, logger: pino({ level: 'silent' }) });
    const fired: string[] = [];
    s.register('k', async (t) => void fired.push(t.id));
    s.start();
    s.schedule('k', m.clock.now() + 5000, {}, 'late');
    s.schedule('k', m.clock.now() + 1000, {}, 'early');
    s.schedule('k', m.clock.now() + 3000, {}, 'canceled');
    expect(m.armed()).toBe(1);
    s.cancel('canceled');
    m.advance(1000);
    await s.idle();
    expect(fired).toEqual(['early']);
    m.advance(4000);
    await s.idle();
    expect(fired).toEqual(['early', 'late']);
    expect(s.pending).toBe(0);
  });

  it('counts waiting sends by provider as they are stored, replaced, canceled and completed', async () => {
    const m = manualClock();
    const timers = memory();
    timers.set('stored', { id: 'stored', kind: 'step-send', due: m.clock.now() + 9000, payload: { provider: 'b' } });
    const s = createScheduler({ timers, commit: async () => {}, clock: m.clock, logger: pino({ level: 'silent' }) });
    s.register('step-send', async () => {});
    s.register('k', async () => {});
    s.start();
    s.schedule('step-send', m.clock.now() + 1000, { provider: 'a' }, 's1');
    s.schedule('k', m.clock.now() + 1000, { provider: 'a' }, 'other-kind');
    expect(s.sendsWaiting()).toEqual(new Map([['b', 1], ['a', 1]]));
    s.schedule('step-send', m.clock.now() + 2000, { provider: 'a' }, 's2');
    s.schedule('step-send', m.clock.now() + 2000, { provider: 'b' }, 's1');
    expect(s.sendsWaiting()).toEqual(new Map([['b', 2], ['a', 1]]));
    s.cancel('stored');
    s.cancel('never-stored');
    m.advance(2000);
    await s.idle();
    expect(s.sendsWaiting()).toEqual(new Map());
    expect(s.pending).toBe(0);
  });

  it('a timer replaced before it fires runs once, as the replacement, at the time it was moved to', async () => {
    const m = manualClock();
    const timers = memory();
    const s = createScheduler({ timers, commit: async () => {}, clock: m.clock, logger: pino({ level: 'silent' }) });
    const fired: string[] = [];
    s.register('k', async (t) => void fired.push(`${t.id}:${String(t.payload.v)}@${m.clock.now()}`));
    s.start();
    s.schedule('k', m.clock.now() + 1000, { v: 1 }, 'same-due');
    s.schedule('k', m.clock.now() + 1000, { v: 2 }, 'same-due');
    s.schedule('k', m.clock.now() + 1000, { v: 1 }, 'moved');
    s.schedule('k', m.clock.now() + 3000, { v: 2 }, 'moved');
    s.schedule('k', m.clock.now() + 2000, { v: 1 }, 'readded');
    s.cancel('readded');
    s.schedule('k', m.clock.now() + 2000, { v: 2 }, 'readded');
    for (let i = 0; i < 4; i += 1) {
      m.advance(1000);
      await s.idle();
    }
    expect(fired).toEqual(['same-due:2@1001000', 'readded:2@1002000', 'moved:2@1003000']);
    expect(s.pending).toBe(0);
  });

  it('a handler that throws has its timer stored again for a later try', async () => {
    const m = manualClock();
    const timers = memory();
    const s = createScheduler({ timers, commit: async () => {}, clock: m.clock, logger: pino({ level: 'silent' }), retryAfterMs: 2000 });
    let calls = 0;
    s.register('k', async () => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
    });
    s.start();
    s.schedule('k', m.clock.now() + 10, {}, 'x');
    m.advance(10);
    await s.idle();
    expect(timers.get('x')?.due).toBe(m.clock.now() + 2000);
    m.advance(2000);
    await s.idle();
    expect(calls).toBe(2);
    expect(timers.size).toBe(0);
  });

  it('claim, apply, complete: a timer stays stored until its handler has committed, and a commit meanwhile keeps it', async () => {
    const m = manualClock();
    const timers = memory();
    const durable = new Set<string>();
    // What a crash right now would leave on disk: the timers present at the last commit.
    const commit = async () => {
      durable.clear();
      for (const id of [...timers.entries()].map(([k]) => k)) durable.add(id);
    };
    const s = createScheduler({ timers, commit, clock: m.clock, logger: pino({ level: 'silent' }) });
    let release!: () => void;
    const applied: string[] = [];
    s.register('k', async (t) => {
      await new Promise<void>((r) => (release = r));
      applied.push(t.id);
      await commit();
    });
    s.start();
    s.schedule('k', m.clock.now() + 10, {}, 'x');
    await commit();
    m.advance(10);
    // An unrelated group commit while the handler waits (for a lock, a read, a provider).
    await commit();
    expect(durable.has('x')).toBe(true);
    release();
    await s.idle();
    expect(applied).toEqual(['x']);
    expect(timers.get('x')).toBeUndefined();
    expect(durable.has('x')).toBe(false);
  });

  it('a handler that reschedules its own id keeps the new timer and fires it once the first run is done', async () => {
    const m = manualClock();
    const timers = memory();
    const s = createScheduler({ timers, commit: async () => {}, clock: m.clock, logger: pino({ level: 'silent' }) });
    let runs = 0;
    s.register('k', async () => {
      runs += 1;
      if (runs === 1) s.schedule('k', m.clock.now(), {}, 'x');
    });
    s.start();
    s.schedule('k', m.clock.now() + 10, {}, 'x');
    m.advance(10);
    await s.idle();
    expect(timers.get('x')).toBeDefined();
    m.advance(0);
    await s.idle();
    expect(runs).toBe(2);
    expect(timers.size).toBe(0);
  });

  it('works off a backlog of overdue timers a bounded number at a time, in due order', async () => {
    const m = manualClock();
    const timers = memory();
    for (let i = 0; i < 20; i += 1) timers.set(`t${String(i).padStart(2, '0')}`, { id: `t${String(i).padStart(2, '0')}`, kind: 'k', due: 1_000_000 - 1000 + i, payload: {} });
    const s = createScheduler({ timers, commit: async () => {}, clock: m.clock, logger: pino({ level: 'silent' }), maxConcurrent: 3 });
    let running = 0;
    let peak = 0;
    const order: string[] = [];
    s.register('k', async (t) => {
      running += 1;
      peak = Math.max(peak, running);
      order.push(t.id);
      await new Promise((r) => setImmediate(r));
      running -= 1;
    });
    s.start();
    m.advance(0);
    for (let i = 0; i < 40 && timers.size > 0; i += 1) {
      await s.idle();
      m.advance(0);
    }
    expect(timers.size).toBe(0);
    expect(peak).toBe(3);
    expect(order).toEqual([...order].sort());
    expect(order).toHaveLength(20);
  });
});
