/**
 * Today's `Store` contract on PostgreSQL (one instance): what a commit writes survives a reopen,
 * whole; discard, lists and validation behave as with the file store; a second instance on the
 * same database is refused.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { AppError, StartupError, StoreUnavailableError } from '../../src/errors.js';
import type { Message } from '../../src/model.js';
import { openPostgresStore, type PostgresStoreOptions } from '../../src/store/postgres/store.js';
import type { Store } from '../../src/store/store.js';
import { inboundRecord, message } from '../helpers/pg-records.js';
import { createDatabase } from '../helpers/postgres.js';

const T = Date.UTC(2026, 10, 28, 12);
const indexKeys = (m: Message) => m.attempts.flatMap((a) => (a.providerMessageId ? [`${a.provider}/${a.providerMessageId}`] : []));

let db: { url: string; drop(): Promise<void> };
const open: Store[] = [];

async function openStore(extra: Partial<PostgresStoreOptions> = {}): Promise<Store> {
  const store = await openPostgresStore({ url: db.url, indexKeys, indexWindowMs: 3 * 86_400_000, now: () => T, ...extra });
  open.push(store);
  return store;
}

async function closeStore(store: Store): Promise<void> {
  open.splice(open.indexOf(store), 1);
  await store.close();
}

beforeEach(async () => {
  db = await createDatabase(inject('postgresUrl'));
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
  await db.drop();
});

describe('the PostgreSQL store', () => {
  it('a message read with its lock is the last holder’s committed version, and a put in the hold is never hidden by it', async () => {
    const a = await openStore();
    const b = await openStore();
    const m = message(T - 60_000, { providerMessageId: 'SM7' });
    a.messages.put(m);
    await a.commit();
    const key = `message:${m.id}`;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = a.exclusive(key, async () => {
      const mine = (await a.messages.get(m.id))!;
      a.messages.put({ ...mine, status: 'sent' });
      await a.commit();
      await gate;
    });
    await new Promise((r) => setTimeout(r, 50));
    const seen: string[] = [];
    const second = b.exclusive(key, async () => {
      const got = (await b.messages.get(m.id))!;
      seen.push(got.status);
      b.messages.put({ ...got, status: 'delivered' });
      seen.push((await b.messages.get(m.id))!.status);
      await b.commit();
      // Committed: read again from the table, not the version read with the lock.
      seen.push((await b.messages.get(m.id))!.status);
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([]);
    release();
    await Promise.all([first, second]);
    expect(seen).toEqual(['sent', 'delivered', 'delivered']);
    expect((await a.messages.get(m.id))?.status).toBe('delivered');

    // A message that does not exist reads as absent; put and committed in the hold, it reads back.
    const n = message(T - 30_000);
    await b.exclusive(`message:${n.id}`, async () => {
      expect(await b.messages.get(n.id)).toBeUndefined();
      b.messages.put(n);
      await b.commit();
      expect((await b.messages.get(n.id))?.id).toBe(n.id);
    });
    // Put and committed before any read in the hold: the row read with the lock is out of date.
    await a.exclusive(`message:${n.id}`, async () => {
      a.messages.put({ ...n, status: 'failed' });
      await a.commit();
      expect((await a.messages.get(n.id))?.status).toBe('failed');
    });
  });

  it('a hold whose lock session the server drops takes its uncommitted changes back and fails, so they never land over the next holder’s', async () => {
    const a = await openStore();
    const b = await openStore();
    const m = message(T - 60_000);
    a.messages.put(m);
    await a.commit();
    const key = `message:${m.id}`;
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const held = a.exclusive(key, async () => {
        const mine = (await a.messages.get(m.id))!;
        a.messages.put({ ...mine, status: 'sent' });
        a.timers.set(`${m.id}.0.timeout`, { id: `${m.id}.0.timeout`, kind: 'step-timeout', due: T + 1000, payload: { message: m.id, step: 0 } });
        // The server ends the session holding the key (a restart does this to every session).
        const { rows } = await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
             AND classid = ((hashtextextended($1, 0) >> 32) & 4294967295)::oid AND objid = (hashtextextended($1, 0) & 4294967295)::oid`,
          [key],
        );
        expect(rows).toHaveLength(1);
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
        await new Promise((r) => setTimeout(r, 200));
        await a.commit();
      });
      await expect(held).rejects.toBeInstanceOf(StoreUnavailableError);
      // Taken back: this instance reads the table again, and its next commit writes none of it.
      expect((await a.messages.get(m.id))?.status).toBe(m.status);
      expect(a.timers.get(`${m.id}.0.timeout`)).toBeUndefined();

      await b.exclusive(key, async () => {
        const got = (await b.messages.get(m.id))!;
        b.messages.put({ ...got, status: 'delivered' });
        await b.commit();
      });
      a.seen.set('evt-after', T);
      await a.commit();
      expect((await b.messages.get(m.id))?.status).toBe('delivered');
      expect(await b.timers.fetch(`${m.id}.0.timeout`)).toBeUndefined();
      // A hold that commits what it changed is untouched by any of this.
      await a.exclusive(key, async () => {
        const got = (await a.messages.get(m.id))!;
        a.messages.put({ ...got, status: 'read' });
        await a.commit();
      });
      expect((await b.messages.get(m.id))?.status).toBe('read');
    } finally {
      await admin.end();
    }
  });

  it('keeps puts and hot changes committed together across a reopen, and close writes what is still queued', async () => {
    const store = await openStore();
    const m = message(T - 60_000, { providerMessageId: 'SM1' });
    const inb = inboundRecord(T - 30_000);
    store.messages.put(m);
    store.inbound.put(inb);
    store.timers.set(`${m.id}.s0`, { id: `${m.id}.s0`, kind: 'step-timeout', due: T + 30_000, payload: { message: m.id, step: 0 } });
    store.idempotency.set('key-1', { key: 'key-1', hash: 'h', messageId: m.id, expiresAt: T + 86_400_000 } as never);
    store.outbox.set('cb-1', { id: 'cb-1', messageId: m.id } as never);
    store.seen.set('evt-1', T + 1000);
    store.attemptIndex.set('mock/SM1', m.id);
    // Two callers in one turn share one transaction.
    await Promise.all([store.commit(), store.commit()]);
    expect(store.stats.commits).toBe(1);
    expect(store.writable).toBe(true);

    // A value deleted again, and changes left queued at close.
    store.outbox.delete('cb-1');
    store.seen.set('evt-2', T + 2000);
    await store.commit();
    const queued = message(T - 10_000);
    store.messages.put(queued);
    store.seen.set('evt-queued', T);
    await closeStore(store); // close writes what is queued

    const again = await openStore();
    expect(await again.messages.get(m.id)).toEqual(m);
    expect(await again.inbound.get(inb.id)).toEqual(inb);
    expect(await again.timers.fetch(`${m.id}.s0`)).toEqual({ id: `${m.id}.s0`, kind: 'step-timeout', due: T + 30_000, payload: { message: m.id, step: 0 } });
    expect(await again.idempotency.fetch('key-1')).toMatchObject({ messageId: m.id });
    expect(await again.outbox.fetch('cb-1')).toBeUndefined();
    expect((await again.seen.all()).sort()).toEqual([T, T + 1000, T + 2000]);
    // Nothing is held in memory after a reopen: reads go to the tables.
    expect(again.seen.size).toBe(0);
    expect(await again.attemptIndex.fetch('mock/SM1')).toBe(m.id);
    expect(await again.messages.get(queued.id)).toEqual(queued);
  });

  it('discard drops an uncommitted put; a record that cannot be stored throws at put and queues nothing', async () => {
    const store = await openStore();
    const kept = message(T - 2000);
    const dropped = message(T - 1000);
    store.messages.put(kept);
    store.messages.put(dropped);
    store.messages.discard(dropped.id);
    expect(() => store.messages.put({ ...message(T), content: { text: 'nul \u0000 here' } })).toThrow(AppError);
    expect(() => store.messages.put({ ...message(T), id: 'not-a-ulid' })).toThrow(/not a ULID/);
    await store.commit();
    expect(await query<{ id: string }>('SELECT id FROM messages ORDER BY id')).toEqual([{ id: kept.id }]);
    expect(await store.messages.get(dropped.id)).toBeUndefined();
  });

  it('lists newest first through stored and pending records, in pages, with filters and a scan limit', async () => {
    const store = await openStore();
    // Later than every id made before in this file: ids are monotonic, so their time is `at` only then.
    const base = T + 1_000_000;
    const all = Array.from({ length: 120 }, (_, i) => message(base + i * 1000, { status: i % 3 === 0 ? 'delivered' : 'sent' }));
    for (const m of all.slice(0, 100)) store.messages.put(m);
    await store.commit();
    // Twenty more only pending, and one stored record changed but not yet committed.
    for (const m of all.slice(100)) store.messages.put(m);
    const changed = { ...all[50], status: 'failed' as const };
    store.messages.put(changed);

    const ids: string[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await store.messages.list({ before, limit: 17 });
      expect(page.items.length).toBeLessThanOrEqual(17);
      ids.push(...page.items.map((m) => m.id));
      if (!page.next) break;
      before = page.next;
    }
    expect(ids).toEqual(all.map((m) => m.id).reverse());
    const failed = await store.messages.list({ limit: 10, filter: (m) => m.status === 'failed' });
    expect(failed.items).toEqual([changed]);
    const since = await store.messages.list({ limit: 500, since: base + 110 * 1000 });
    expect(since.items.map((m) => m.id)).toEqual(all.slice(110).map((m) => m.id).reverse());
    // A filter that matches little stops at the scan limit and says where to go on.
    const scan = await store.messages.list({ limit: 5, scanLimit: 30, filter: (m) => m.status === 'delivered' });
    expect(scan.items).toHaveLength(5);
    const rare = await store.messages.list({ limit: 5, scanLimit: 30, filter: () => false });
    expect(rare.items).toEqual([]);
    expect(rare.next).toBe(all[120 - 30].id);
  });

  it('prune deletes old records except those live state names, and expired keyed values', async () => {
    const store = await openStore();
    const base = T + 5_000_000;
    const named = message(base, { providerMessageId: 'SM-named' });
    const old = message(base + 1000, { providerMessageId: 'SM-old' });
    const young = message(base + 90_000);
    for (const m of [named, old, young]) store.messages.put(m);
    store.inbound.put(inboundRecord(base + 2000));
    store.idempotency.set('k', { key: 'k', hash: 'h', messageId: named.id, expiresAt: base + 86_400_000 } as never);
    store.seen.set('gone', base + 10);
    store.seen.set('stays', base + 86_400_000);
    store.attemptIndex.set('mock/SM-old', old.id);
    await store.commit();

    const { partitionsDeleted } = await store.prune(base + 60_000, base + 60_000);
    expect(partitionsDeleted).toBe(2); // the old message and the inbound; rows, not partitions
    expect(await store.messages.get(old.id)).toBeUndefined();
    expect(await store.messages.get(named.id)).toEqual(named);
    expect(await store.messages.get(young.id)).toEqual(young);
    expect(await store.seen.all()).toEqual([base + 86_400_000]);
    expect(await query("SELECT key FROM kv WHERE collection = 'seen'")).toEqual([{ key: 'stays' }]);
    expect(await query("SELECT key FROM attempt_index WHERE key = 'mock/SM-old'")).toEqual([]);
  });

  it('a list lists a stored record that is put again while its query runs', async () => {
    const store = await openStore();
    const m = message(T - 1000);
    store.messages.put(m);
    await store.commit();
    const listing = store.messages.list({ limit: 10 });
    // Not in the snapshot of pending puts the list took, and changed before its rows come back.
    store.messages.put({ ...m, status: 'delivered' });
    expect((await listing).items.map((r) => r.id)).toEqual([m.id]);
  });

  it('two stores on one database share what they commit, hold keys against each other, and find a closed one\'s sends as orphans', async () => {
    const a = await openStore();
    const b = await openStore();
    const m = message(T - 60_000, { providerMessageId: 'SM9' });
    a.messages.put(m);
    a.idempotency.set('k', { key: 'k', messageId: m.id, bodyHash: 'h', expiresAt: T + 60_000 } as never);
    a.inflight.set('att-1', { message: m.id, step: 0 });
    // Not yet committed: the other store cannot see it.
    expect(await b.messages.get(m.id)).toBeUndefined();
    expect(await b.idempotency.fetch('k')).toBeUndefined();
    await a.commit();
    expect((await b.messages.get(m.id))?.id).toBe(m.id);
    expect(await b.idempotency.fetch('k')).toMatchObject({ messageId: m.id });
    expect(await b.attemptIndex.fetch('mock/SM9')).toBe(m.id);
    // A delete queued at b hides the value from b at once, from a only once committed.
    b.idempotency.delete('k');
    expect(await b.idempotency.fetch('k')).toBeUndefined();
    expect(await a.idempotency.fetch('k')).toBeDefined();
    await b.commit();
    expect(await a.idempotency.fetch('k')).toBeUndefined();

    // exclusive: b waits for a's hold, and reads what a changed inside it.
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = a.exclusive('message:x', async () => {
      order.push('a in');
      a.seen.set('x', 1);
      await gate;
      order.push('a out');
    });
    await new Promise((r) => setTimeout(r, 50));
    const second = b.exclusive('message:x', async () => {
      order.push(`b in, sees ${await b.seen.fetch('x')}`);
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(order).toEqual(['a in']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['a in', 'a out', 'b in, sees 1']);
    // Several keys in one read: committed ones from the table, this store's queued ones over them.
    b.seen.set('y', 2);
    b.seen.delete('x');
    a.seen.set('z', 3);
    await a.commit();
    expect(await b.seen.fetchMany(['x', 'y', 'z', 'none'])).toEqual(new Map([['y', 2], ['z', 3]]));
    await b.commit();

    // a's send in flight is not an orphan while a lives; once a is gone, b finds it.
    expect(await b.orphans()).toEqual([]);
    await closeStore(a);
    // Seen dead once is only a suspicion (a database restart drops live sessions too); twice, an orphan.
    expect(await b.orphans()).toEqual([]);
    expect(await b.orphans()).toEqual([['att-1', { message: m.id, step: 0 }]]);
  });

  it('an unreachable database is a one-line StartupError', async () => {
    const url = new URL(db.url);
    url.port = '1';
    const err = await openPostgresStore({ url: url.toString(), indexKeys, indexWindowMs: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toMatch(/^cannot connect to the database at postgresql:\/\/postgres@127\.0\.0\.1:1\/t_\w+: .*ECONNREFUSED/);
  });
});

/** A query from outside the store, on a connection of its own. */
async function query<R extends pg.QueryResultRow>(sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}
