/**
 * The PostgreSQL store when its server stops and comes back: this file runs a cluster of its own
 * (the shared one must stay up for the other files) and stops and starts it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import type { Store } from '../../src/store/store.js';
import { message } from '../helpers/pg-records.js';
import { type Cluster, queryRows, startCluster } from '../helpers/postgres.js';

let cluster: Cluster;
let store: Store;
const connectionErrors: Error[] = [];
const T = Date.UTC(2026, 10, 28, 12);

beforeAll(async () => {
  cluster = await startCluster();
  store = await openPostgresStore({
    url: cluster.url, indexKeys: () => [], indexWindowMs: 86_400_000, now: () => T,
    onConnectionError: (err) => connectionErrors.push(err),
  });
});

afterAll(async () => {
  await store?.close().catch(() => undefined);
  await cluster?.stop();
});

const rows = (sql: string) => queryRows(cluster.url, sql);

describe('the PostgreSQL store while its server is down', () => {
  it('rejects the commit with StoreUnavailableError, is not writable, keeps the changes queued and writes them by itself once the server is back', async () => {
    const before = message(T - 5000);
    store.messages.put(before);
    await store.commit();

    await cluster.halt();
    const during = message(T - 1000);
    store.messages.put(during);
    store.timers.set('t-during', { id: 't-during', kind: 'step-timeout', due: T + 1000, payload: { message: during.id } });
    store.seen.set('evt-during', T + 60_000);
    const started = performance.now();
    const failed = await store.commit().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(StoreUnavailableError);
    expect(failed).toMatchObject({ status: 503, retryAfter: 5 });
    const failedAfter = performance.now() - started;
    expect(failedAfter).toBeLessThan(6000);
    expect(store.writable).toBe(false);
    // Reads still answer from memory: the changes are queued, not lost.
    expect(await store.messages.get(during.id)).toEqual(during);
    expect(store.timers.get('t-during')).toBeDefined();
    // Every commit meanwhile fails the same way.
    await expect(store.commit()).rejects.toBeInstanceOf(StoreUnavailableError);

    await cluster.resume();
    // Nobody commits: the store writes its queue by itself and says it is writable again.
    const resumed = performance.now();
    while (!store.writable && performance.now() - resumed < 10_000) await new Promise((r) => setTimeout(r, 50));
    expect(store.writable).toBe(true);
    const recoveredAfter = performance.now() - resumed;
    expect(await rows('SELECT id FROM messages ORDER BY id')).toEqual([{ id: before.id }, { id: during.id }]);
    expect(await rows("SELECT id, due FROM timers")).toEqual([{ id: 't-during', due: String(T + 1000) }]);
    expect(await rows("SELECT key FROM kv WHERE collection = 'seen'")).toEqual([{ key: 'evt-during' }]);
    console.log(`postgres store: a commit with the server down failed in ${failedAfter.toFixed(0)} ms (idle connections lost: ${connectionErrors.length}); the store wrote its queue by itself ${recoveredAfter.toFixed(0)} ms after the server returned`);
  });
});
