/**
 * The database going away under the gateway and coming back: this file runs a cluster of its own
 * (the shared one must stay up for the other files) and stops and starts it.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { kv } from '../../src/store/postgres/kv.js';
import { createMessages } from '../../src/store/postgres/messages.js';
import { migrate } from '../../src/store/postgres/migrate.js';
import { createPool } from '../../src/store/postgres/pool.js';
import { withTransaction } from '../../src/store/postgres/unit-of-work.js';
import { message } from '../helpers/pg-records.js';
import { startCluster, type Cluster } from '../helpers/postgres.js';

let cluster: Cluster;
let pool: pg.Pool;
const idleErrors: Error[] = [];
const messages = createMessages();
const outbox = kv<{ messageId: string }>('outbox');

beforeAll(async () => {
  cluster = await startCluster();
  pool = createPool({ url: cluster.url, max: 3, connectTimeoutMs: 1000, onIdleError: (err) => idleErrors.push(err) });
  await migrate(pool);
});

afterAll(async () => {
  await pool?.end();
  await cluster?.stop();
});

describe('the database stopping and starting under a pool', () => {
  it('fails the transaction in flight and the ones after with StoreUnavailableError, commits nothing of them, and recovers on return', async () => {
    const before = message(Date.UTC(2026, 10, 28));
    await withTransaction(pool, (tx) => messages.put(tx, before));
    // Two connections open, so one sits idle in the pool when the server stops.
    await Promise.all([1, 2].map(() => withTransaction(pool, (tx) => tx.query('SELECT pg_sleep(0.02)'))));

    // A unit of work is half done when the server stops: its next statement fails.
    const lost = message(Date.UTC(2026, 10, 28, 1));
    let halted!: () => void;
    const haltedYet = new Promise<void>((resolve) => (halted = resolve));
    const inFlight = withTransaction(pool, async (tx) => {
      await messages.put(tx, lost);
      await haltedYet;
      await outbox.set(tx, lost.id, { messageId: lost.id });
    }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await cluster.halt();
    halted();
    expect(await inFlight).toBeInstanceOf(StoreUnavailableError);
    await expect.poll(() => idleErrors.length).toBeGreaterThan(0);

    // While it is down, every unit of work is a 503 — quickly, not a hang.
    const started = performance.now();
    const down = await withTransaction(pool, (tx) => messages.get(tx, before.id)).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(StoreUnavailableError);
    expect(down).toMatchObject({ status: 503, retryAfter: 5 });
    expect(performance.now() - started).toBeLessThan(1500);

    // Back up: the same pool serves again by itself, and nothing of the lost unit of work is there.
    await cluster.resume();
    const back = performance.now();
    expect(await withTransaction(pool, (tx) => messages.get(tx, before.id))).toEqual(before);
    expect(await messages.get(pool, lost.id)).toBeUndefined();
    expect(await outbox.get(pool, lost.id)).toBeUndefined();
    console.log(`postgres restart: first unit of work after the server returned took ${(performance.now() - back).toFixed(0)} ms; idle connections lost meanwhile: ${idleErrors.length}`);
  });
});
