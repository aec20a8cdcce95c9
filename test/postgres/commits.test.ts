/**
 * What one commit on PostgreSQL writes. It is one statement whose clauses run in no set order, so
 * two clauses touching one row would make the outcome unpredictable: the one pair that can meet —
 * a fired timer's completion and a new timer with the same id — must leave the new timer, as
 * statements run one after another did; a commit that fails writes none of its clauses. And a
 * commit writes only what its callers released: a key holder's changes wait for its own commit.
 */
import { afterEach, beforeEach, expect, inject, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import type { Store } from '../../src/store/store.js';
import { message } from '../helpers/pg-records.js';
import { createDatabase, queryRows } from '../helpers/postgres.js';

const T = Date.UTC(2026, 10, 29, 12);
let db: { url: string; drop(): Promise<void> };
let store: Store;

beforeEach(async () => {
  db = await createDatabase(inject('postgresUrl'));
  store = await openPostgresStore({ url: db.url, indexKeys: () => [], indexWindowMs: 86_400_000, now: () => T });
});
afterEach(async () => {
  await store.close().catch(() => undefined);
  await db.drop();
});

const rows = (sql: string) => queryRows(db.url, sql);

it('a timer rescheduled in the commit that completes its fired claim stays, unleased, at its new due time', async () => {
  store.timers.set('m1.retry', { id: 'm1.retry', kind: 'step-retry', due: T - 1000, payload: { message: 'm1', step: 0 } });
  await store.commit();
  const [claim] = await store.sharedTimers!.claimDue(T, T, 10);
  expect(claim?.id).toBe('m1.retry');

  // The handler schedules its next retry under the same id, then its claim is completed: both
  // ride on one commit.
  store.timers.set('m1.retry', { id: 'm1.retry', kind: 'step-retry', due: T + 60_000, payload: { message: 'm1', step: 0 } });
  await store.sharedTimers!.complete(claim);

  const left = await rows("SELECT due, lease_owner, revision FROM timers WHERE id = 'm1.retry'");
  expect(left).toHaveLength(1);
  expect(Number(left[0].due)).toBe(T + 60_000);
  expect(left[0].lease_owner).toBeNull();
  expect(left[0].revision).not.toBe(claim.revision);
});

it('a fired claim completed alongside other writes is removed, and the other writes land with it', async () => {
  store.timers.set('m2.timeout', { id: 'm2.timeout', kind: 'step-timeout', due: T - 1000, payload: { message: 'm2', step: 0 } });
  await store.commit();
  const [claim] = await store.sharedTimers!.claimDue(T, T, 10);
  const m = message(T - 5000, { providerMessageId: 'SM9' });
  store.messages.put(m);
  store.seen.set('k1', T + 60_000);
  await store.sharedTimers!.complete(claim);

  expect(await rows("SELECT id FROM timers WHERE id = 'm2.timeout'")).toEqual([]);
  expect(await rows(`SELECT id FROM messages WHERE id = '${m.id}'`)).toEqual([{ id: m.id }]);
  expect(await rows("SELECT key FROM kv WHERE collection = 'seen'")).toEqual([{ key: 'k1' }]);
});

it('a commit the server refuses writes none of its clauses', async () => {
  const m = message(T - 5000, {});
  store.messages.put(m);
  store.seen.set('k2', T + 60_000);
  // A CHECK the kv clause breaks: the messages clause of the same statement must not land either.
  await rows("ALTER TABLE kv ADD CONSTRAINT no_k2 CHECK (key <> 'k2')");
  await expect(store.commit()).rejects.toThrow();
  expect(await rows(`SELECT id FROM messages WHERE id = '${m.id}'`)).toEqual([]);
});

it('a change made in a key hold waits for its holder’s commit: another caller’s commit meanwhile does not write half of the work', async () => {
  store.timers.set('m3.0.timeout', { id: 'm3.0.timeout', kind: 'step-timeout', due: T + 60_000, payload: { message: 'm3', step: 0 } });
  await store.commit();
  const m = message(T - 5000, {});
  let resume!: () => void;
  const paused = new Promise<void>((r) => (resume = r));
  let inHold!: () => void;
  const reached = new Promise<void>((r) => (inHold = r));
  const holder = store.exclusive(`message:${m.id}`, async () => {
    // The step ends: its timer goes, then the holder awaits a read before putting the message.
    store.timers.delete('m3.0.timeout');
    inHold();
    await paused;
    store.messages.put(m);
    await store.commit();
  });
  await reached;
  // Someone else commits (an accept, say) while the holder waits.
  store.seen.set('other', T + 60_000);
  await store.commit();
  expect(await rows("SELECT key FROM kv WHERE collection = 'seen'")).toEqual([{ key: 'other' }]);
  expect(await rows("SELECT id FROM timers WHERE id = 'm3.0.timeout'")).toHaveLength(1);
  resume();
  await holder;
  expect(await rows("SELECT id FROM timers WHERE id = 'm3.0.timeout'")).toEqual([]);
  expect(await rows(`SELECT id FROM messages WHERE id = '${m.id}'`)).toEqual([{ id: m.id }]);
});
