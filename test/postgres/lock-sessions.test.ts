/**
 * A key holder keeps one of a few lock sessions for as long as it holds: what it waits for there
 * delays every timer behind it. A hold with nothing of its own left uncommitted does not wait for a
 * group commit, a record put again unchanged is not written again, and the lock sessions are open
 * before the first burst needs them.
 */
import { afterEach, beforeEach, expect, inject, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import type { Store } from '../../src/store/store.js';
import { message } from '../helpers/pg-records.js';
import { createDatabase, queryRows } from '../helpers/postgres.js';

const T = Date.UTC(2026, 10, 29, 12);
const LOCK_SESSIONS = 4;
let db: { url: string; drop(): Promise<void> };
let store: Store;

beforeEach(async () => {
  db = await createDatabase(inject('postgresUrl'));
  store = await openPostgresStore({ url: db.url, indexKeys: () => [], indexWindowMs: 86_400_000, now: () => T, lockPoolMax: LOCK_SESSIONS });
});
afterEach(async () => {
  await store.close().catch(() => undefined);
  await db.drop();
});

const rows = (sql: string) => queryRows(db.url, sql);

/** The row's version: PostgreSQL gives a rewritten row a new `xmin`. */
const version = async (id: string) => (await rows(`SELECT xmin::text AS v FROM messages WHERE id = '${id}'`))[0]?.v;

it('a record put again unchanged in the same hold is not rewritten, and the commit after it costs no group commit', async () => {
  const m = message(T - 5000, {});
  let first: unknown;
  let commitsAfterFirst = 0;
  await store.exclusive(`message:${m.id}`, async () => {
    store.messages.put(m);
    await store.commit();
    first = await version(m.id);
    commitsAfterFirst = store.stats.commits;
    // A handler's closing put of the message its claim already committed.
    store.messages.put(structuredClone(m));
    await store.commit();
  });
  expect(first).toBeDefined();
  expect(await version(m.id)).toBe(first);
  expect(store.stats.commits).toBe(commitsAfterFirst);
});

it('a record changed since the hold put it is written at the holder’s commit', async () => {
  const m = message(T - 5000, {});
  await store.exclusive(`message:${m.id}`, async () => {
    store.messages.put(m);
    await store.commit();
    store.messages.put({ ...m, status: 'delivered' });
    await store.commit();
  });
  expect(await rows(`SELECT body->>'status' AS status FROM messages WHERE id = '${m.id}'`)).toEqual([{ status: 'delivered' }]);
});

it('a record discarded and put again unchanged in the same hold is written', async () => {
  const m = message(T - 5000, {});
  await store.exclusive(`message:${m.id}`, async () => {
    store.messages.put(m);
    store.messages.discard(m.id);
    store.messages.put(m);
    await store.commit();
  });
  expect(await rows(`SELECT id FROM messages WHERE id = '${m.id}'`)).toEqual([{ id: m.id }]);
});

it('the same record put again by a later hold is written again (another instance may have changed it in between)', async () => {
  const m = message(T - 5000, {});
  await store.exclusive(`message:${m.id}`, async () => {
    store.messages.put(m);
    await store.commit();
  });
  // Another instance changes the row between the two holds.
  await rows(`UPDATE messages SET body = jsonb_set(body::jsonb, '{status}', '"failed"')::json WHERE id = '${m.id}'`);
  await store.exclusive(`message:${m.id}`, async () => {
    store.messages.put(m);
    await store.commit();
  });
  expect(await rows(`SELECT body->>'status' AS status FROM messages WHERE id = '${m.id}'`)).toEqual([{ status: m.status }]);
});

it('opens its lock sessions at start, before any key is held', async () => {
  const sessions = async () => Number((await rows("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'switchboard-locks' AND datname = current_database()"))[0].n);
  const deadline = Date.now() + 5000;
  while ((await sessions()) < LOCK_SESSIONS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(await sessions()).toBe(LOCK_SESSIONS);
});

it('with holders queued for a session, each key is let go with the next lock, and every key is free once they are done', async () => {
  const advisoryLocks = async () => Number((await rows("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))[0].n);
  // The instance's own liveness lock.
  const before = await advisoryLocks();
  const inside = new Map<string, number>();
  let overlaps = 0;
  // Ten holders per key, forty keys, four sessions: nearly every hold ends with someone waiting.
  const holds = Array.from({ length: 400 }, (_, i) => store.exclusive(`key-${i % 40}`, async () => {
    const key = `key-${i % 40}`;
    if (inside.get(key)) overlaps += 1;
    inside.set(key, (inside.get(key) ?? 0) + 1);
    await new Promise((r) => setTimeout(r, 1));
    inside.set(key, inside.get(key)! - 1);
    return i;
  }));
  expect(await Promise.all(holds)).toEqual(Array.from({ length: 400 }, (_, i) => i));
  expect(overlaps).toBe(0);
  // The last unlocks had no next holder to ride with: they go on their own.
  const deadline = Date.now() + 5000;
  while ((await advisoryLocks()) > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(await advisoryLocks()).toBe(before);
  // Another session takes each key at once.
  const other = await openPostgresStore({ url: db.url, indexKeys: () => [], indexWindowMs: 86_400_000, now: () => T, lockPoolMax: 2 });
  try {
    const taken = await Promise.race([
      Promise.all(Array.from({ length: 40 }, (_, k) => other.exclusive(`key-${k}`, async () => k))),
      new Promise((r) => setTimeout(() => r('timed out'), 5000)),
    ]);
    expect(taken).toEqual(Array.from({ length: 40 }, (_, k) => k));
  } finally {
    await other.close();
  }
});
