import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createIdFactory } from '../../src/ids.js';
import type { TimerRecord } from '../../src/model.js';
import { createScheduler } from '../../src/scheduler/scheduler.js';
import { reviveTimer, timerRecord } from '../../src/store/timer-record.js';
import type { Store } from '../../src/store/store.js';
import { manualClock, type ManualClock } from '../helpers/clock.js';
import { crashLeftovers, openStore } from './helpers.js';

const nextId = createIdFactory();
const logger = pino({ level: 'silent' });
const START = 1_800_000_000_000;

/** Timers of every shape the engine stores: step timers (whose id spells the payload) and others. */
function someTimers(): TimerRecord[] {
  const m1 = nextId();
  const m2 = nextId();
  return [
    { id: `${m1}.0.timeout`, kind: 'step-timeout', due: START + 3000, payload: { message: m1, step: 0 } },
    { id: `${m1}.1.hold`, kind: 'step-hold', due: START + 1000, payload: { message: m1, step: 1 } },
    { id: `${m2}.12.retry`, kind: 'step-retry', due: START + 2000, payload: { message: m2, step: 12 } },
    { id: `${m2}.0.send`, kind: 'step-send', due: START + 1500, payload: { message: m2, step: 0, provider: 'twilio-us', reserved: 1 } },
    { id: `${m2}.callback`, kind: 'callback', due: START + 2500, payload: { job: m2 } },
    { id: 'consent-release:+15550100|+15550101', kind: 'consent-release', due: START + 500, payload: { pair: '+15550100|+15550101' } },
  ];
}

const plain = (t: TimerRecord | undefined) => JSON.parse(JSON.stringify(t)) as TimerRecord;

/** A scheduler on `store` that records what fires (and may fail a timer's first run). */
function firing(store: Store, m: ManualClock, failFirst = new Set<string>()) {
  const fired: TimerRecord[] = [];
  const s = createScheduler({ timers: store.timers, commit: () => store.commit(), clock: m.clock, logger, retryAfterMs: 1000 });
  for (const kind of ['step-timeout', 'step-hold', 'step-retry', 'step-send', 'callback', 'consent-release']) {
    s.register(kind, async (t) => {
      fired.push({ id: t.id, kind: t.kind, due: t.due, payload: t.payload });
      if (failFirst.delete(t.id)) throw new Error('first run fails');
    });
  }
  return { s, fired };
}

/** A store in a fresh folder holding `someTimers()`, committed. */
async function storeWithTimers(): Promise<{ dir: string; timers: TimerRecord[]; store: Store }> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-timers-'));
  const timers = someTimers();
  const store = await openStore(dir);
  for (const t of timers) store.timers.set(t.id, t);
  await store.commit();
  return { dir, timers, store };
}

/** Past 8 MB of journal the hot state is folded into state.json. */
async function fold(store: Store): Promise<void> {
  const big = 'x'.repeat(1000);
  for (let i = 0; i < 9000; i += 1) store.idempotency.set('i', { key: 'i', messageId: big, bodyHash: String(i), expiresAt: START });
  await store.commit();
}

describe('timers kept compact in the file store', () => {
  it('come back after a kill -9 with the same id, kind, due and payload, and fire once each in due order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-timers-'));
    const timers = someTimers();
    const first = await openStore(dir);
    const m1 = manualClock(START);
    const live = firing(first, m1).s;
    for (const t of timers) live.schedule(t.kind, t.due, t.payload, t.id);
    // A new step timer is kept as compactly as one read back: its id stands for its payload.
    expect(Object.keys(first.timers.get(timers[0].id)!)).toEqual(['id', 'sinceWindow']);
    expect(first.timers.get(timers[0].id)?.kind).toBe('step-timeout');
    expect(first.timers.get(timers[0].id)?.payload).toEqual(timers[0].payload);
    await first.commit();
    crashLeftovers(dir);

    const again = await openStore(dir);
    expect(again.timers.size).toBe(timers.length);
    for (const t of timers) {
      expect(plain(again.timers.get(t.id))).toEqual(t);
      expect(again.timers.get(t.id)?.payload).toEqual(t.payload);
    }
    const m2 = manualClock(START + 10_000);
    const { s, fired } = firing(again, m2);
    s.start();
    m2.advance(0);
    await s.idle();
    expect(fired).toEqual([...timers].sort((a, b) => a.due - b.due));
    expect(again.timers.size).toBe(0);
    await again.close();

    const third = await openStore(dir);
    const m3 = manualClock(START + 20_000);
    const after = firing(third, m3);
    after.s.start();
    m3.advance(60_000);
    await after.s.idle();
    expect(after.fired).toEqual([]);
    await third.close();
    // The crashed instance's files (its lock is not its own any more, so it stays).
    await first.close();
  });

  it('come back from the folded snapshot too, and a step timer whose handler failed fires again with its payload', async () => {
    const { dir, timers, store: first } = await storeWithTimers();
    await fold(first);
    await first.close();

    const again = await openStore(dir);
    for (const t of timers) expect(plain(again.timers.get(t.id))).toEqual(t);
    const step = timers[0];
    const m = manualClock(START + 10_000);
    const { s, fired } = firing(again, m, new Set([step.id]));
    s.start();
    m.advance(0);
    await s.idle();
    // Stored again for a later try, with the payload it had.
    expect(plain(again.timers.get(step.id))).toEqual({ ...step, due: START + 10_000 + 1000 });
    await again.commit();
    crashLeftovers(dir);

    const third = await openStore(dir);
    expect([...third.timers.entries()].map(([k]) => k)).toEqual([step.id]);
    const m3 = manualClock(START + 20_000);
    const after = firing(third, m3);
    after.s.start();
    m3.advance(0);
    await after.s.idle();
    expect(after.fired).toEqual([{ ...step, due: START + 11_000 }]);
    expect(fired.filter((t) => t.id === step.id)).toHaveLength(1);
    await third.close();
    await again.close();
  });
});

describe('timers as the file store writes them', () => {
  it('a step timer is written as its kind and due under its id, in the journal and in the snapshot; any other timer in full', async () => {
    const { dir, timers, store } = await storeWithTimers();
    const journal = readdirSync(dir).filter((f) => f.startsWith('state.journal')).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    const written = (id: string) => {
      const line = journal.split('\n').reverse().find((l) => l.startsWith(`["timers",${JSON.stringify(id)},`));
      return (JSON.parse(line!) as unknown[])[2];
    };
    const [step, hold, retry, send, callback, consent] = timers;
    for (const t of [step, hold, retry]) expect(written(t.id)).toEqual({ kind: t.kind, due: t.due });
    // Its payload says more than its id: written whole.
    for (const t of [send, callback, consent]) expect(written(t.id)).toEqual(t);

    // Folded into state.json, the same shapes.
    await fold(store);
    await store.close();
    const snapshot = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { collections: { timers: Record<string, unknown> } };
    expect(snapshot.collections.timers[step.id]).toEqual({ kind: step.kind, due: step.due });
    expect(snapshot.collections.timers[send.id]).toEqual(send);

    const again = await openStore(dir);
    for (const t of timers) expect(plain(again.timers.get(t.id))).toEqual(t);
    await again.close();
  });
});

describe('reviveTimer', () => {
  it('reads a step timer written as kind and due under a key that spells its payload; under any other key such a value stays as it is', () => {
    const revived = reviveTimer('m.2.timeout', { kind: 'step-timeout', due: 7 }) as TimerRecord;
    expect(plain(revived)).toEqual({ id: 'm.2.timeout', kind: 'step-timeout', due: 7, payload: { message: 'm', step: 2 } });
    for (const key of ['m.timeout', 'a.b.0.timeout', 'm.01.timeout', 'm.0.x.y', 'consent-release:+1555']) {
      expect(reviveTimer(key, { kind: 'k', due: 1 })).toEqual({ kind: 'k', due: 1 });
    }
  });

  it('keeps the payload of a timer whose id does not spell it exactly, and values that are not timers', () => {
    const cases: [string, TimerRecord][] = [
      ['a.b.0.timeout', { id: 'a.b.0.timeout', kind: 'k', due: 1, payload: { message: 'a.b', step: 0 } }],
      ['m.1.timeout', { id: 'm.1.timeout', kind: 'k', due: 1, payload: { message: 'm', step: 0 } }],
      ['m.-1.timeout', { id: 'm.-1.timeout', kind: 'k', due: 1, payload: { message: 'm', step: -1 } }],
      ['m.1.5.timeout', { id: 'm.1.5.timeout', kind: 'k', due: 1, payload: { message: 'm', step: 1.5 } }],
      ['m.01.timeout', { id: 'm.01.timeout', kind: 'k', due: 1, payload: { message: 'm', step: 1 } }],
      ['m.0.x.y', { id: 'm.0.x.y', kind: 'k', due: 1, payload: { message: 'm', step: 0 } }],
      ['m.0.', { id: 'm.0.', kind: 'k', due: 1, payload: { message: 'm', step: 0 } }],
      ['m.0.send', { id: 'm.0.send', kind: 'k', due: 1, payload: { message: 'm', step: 0, provider: 'p' } }],
    ];
    for (const [key, value] of cases) {
      const revived = reviveTimer(key, JSON.parse(JSON.stringify(value))) as TimerRecord;
      expect(revived.payload).toEqual(value.payload);
      expect(plain(revived)).toEqual(value);
    }
    for (const value of [5, 'x', null, { due: 1 }, { kind: 'k', due: '1', payload: {} }, { kind: 'k', due: 1, payload: null }]) expect(reviveTimer('k', value)).toEqual(value);
  });

  it('keeps a step timer as its id and due alone when its id spells its kind too, else with its kind; kinds as one shared string', () => {
    const read = (key: string, kind: string) => JSON.parse(JSON.stringify({ id: key, kind, due: 1, payload: { message: key.split('.')[0], step: 3 } })) as unknown;
    const a = reviveTimer('m1.3.timeout', read('m1.3.timeout', `step-${'timeout'}`)) as TimerRecord;
    const b = reviveTimer('m2.3.timeout', read('m2.3.timeout', 'step-timeout')) as TimerRecord;
    expect(Object.keys(a)).toEqual(['id', 'sinceWindow']);
    expect(b.payload).toEqual({ message: 'm2', step: 3 });
    expect(a.kind).toBe('step-timeout');
    expect(a.kind).toBe(b.kind);
    // A kind of its own (not `step-<what>` of its id) is kept.
    const c = reviveTimer('m3.3.timeout', read('m3.3.timeout', 'consent-check')) as TimerRecord;
    expect(Object.keys(c)).toEqual(['id', 'kind', 'due']);
    expect(plain(c)).toEqual({ id: 'm3.3.timeout', kind: 'consent-check', due: 1, payload: { message: 'm3', step: 3 } });
  });

  it('keeps a step timer\'s due exactly as a small integer beside the start of its window, for any due', () => {
    // Window edges (2^30 ms), the past, far ahead, and dues that are no integer or no safe one.
    const dues = [0, 1, 2 ** 30 - 1, 2 ** 30, 2 ** 30 + 1, 1_795_949_925_882, -1, -(2 ** 30), 8_640_000_000_000_000, 1.5, 2 ** 53 + 2];
    for (const due of dues) {
      const t = timerRecord('m.0.timeout', 'step-timeout', due, { message: 'm', step: 0 });
      expect(t.due, String(due)).toBe(due);
      expect(plain(t)).toEqual({ id: 'm.0.timeout', kind: 'step-timeout', due, payload: { message: 'm', step: 0 } });
      const small = (t as unknown as { sinceWindow?: number }).sinceWindow;
      // Integers keep the compact shape; the rest a plain due.
      if (Number.isSafeInteger(due)) expect(small !== undefined && small >= 0 && small < 2 ** 30 && Number.isInteger(small), String(due)).toBe(true);
      else expect(small).toBeUndefined();
    }
    // Two timers in one window share their class; the heap orders them by due across windows.
    const a = timerRecord('a.0.timeout', 'step-timeout', 2 ** 30 + 5, { message: 'a', step: 0 });
    const b = timerRecord('b.0.timeout', 'step-timeout', 2 ** 30 - 5, { message: 'b', step: 0 });
    const c = timerRecord('c.0.timeout', 'step-timeout', 2 ** 30 + 9, { message: 'c', step: 0 });
    expect(Object.getPrototypeOf(a)).toBe(Object.getPrototypeOf(c));
    expect([a, b, c].sort((x, y) => x.due - y.due).map((t) => t.id)).toEqual(['b.0.timeout', 'a.0.timeout', 'c.0.timeout']);
  });

  it('gives a record the map key as its id, whatever id the stored copy carried', () => {
    const revived = reviveTimer('m.0.timeout', { id: 'stale', kind: 'k', due: 1, payload: { message: 'm', step: 0 } }) as TimerRecord;
    expect(revived.id).toBe('m.0.timeout');
    expect(revived.payload).toEqual({ message: 'm', step: 0 });
  });
});
