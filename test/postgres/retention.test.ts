import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CallbackJob, IdempotencyRecord } from '../../src/model.js';
import { attemptIndex } from '../../src/store/postgres/attempt-index.js';
import { inbound } from '../../src/store/postgres/inbound.js';
import { kv } from '../../src/store/postgres/kv.js';
import { createMessages } from '../../src/store/postgres/messages.js';
import { prune } from '../../src/store/postgres/retention.js';
import { createTimerLeases } from '../../src/store/postgres/timer-leases.js';
import { withTransaction } from '../../src/store/postgres/unit-of-work.js';
import { inboundRecord, message, migratedDatabase, type TestDatabase } from '../helpers/pg-records.js';

let db: TestDatabase;
const messages = createMessages({ indexKeys: (m) => m.attempts.map((a) => `${a.provider}/${a.providerMessageId}`) });
const idempotency = kv<IdempotencyRecord>('idempotency', { expiresAt: (r) => r.expiresAt });
const outbox = kv<CallbackJob>('outbox');
const seen = kv<number>('seen', { expiresAt: (at) => at });
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 28);
const CUTOFF = NOW - 30 * DAY;

beforeAll(async () => {
  db = await migratedDatabase(inject('postgresUrl'));
});
afterAll(() => db.close());

const count = async (sql: string) => Number((await db.pool.query<{ n: string }>(sql)).rows[0].n);

describe('retention', () => {
  it('deletes old messages and inbound in batches, keeps what live state names, and drops their attempt keys', async () => {
    const old = Array.from({ length: 1200 }, (_, i) => message(CUTOFF - DAY + i * 1000));
    const recent = Array.from({ length: 300 }, (_, i) => message(CUTOFF + i * 1000));
    const oldIn = Array.from({ length: 700 }, (_, i) => inboundRecord(CUTOFF - 2 * DAY + i * 1000));
    const recentIn = Array.from({ length: 50 }, (_, i) => inboundRecord(CUTOFF + 1 + i));
    for (let i = 0; i < old.length + recent.length; i += 250) {
      await withTransaction(db.pool, async (tx) => {
        for (const m of [...old, ...recent].slice(i, i + 250)) await messages.put(tx, m);
      });
    }
    await withTransaction(db.pool, async (tx) => {
      for (const r of [...oldIn, ...recentIn]) await inbound.put(tx, r);
    });

    // Live state pointing at old records: a pending timer, an idempotency key, a queued callback.
    const [byTimer, byKey, byCallback] = [old[3], old[500], old[1199]];
    await createTimerLeases(db.pool).schedule({ id: `${byTimer.id}.0.timeout`, kind: 'step-timeout', due: NOW + DAY, payload: { message: byTimer.id, step: 0 } });
    await idempotency.set(db.pool, 'k1', { key: 'k1', messageId: byKey.id, bodyHash: 'h', expiresAt: NOW + DAY });
    await outbox.set(db.pool, byCallback.id, { id: byCallback.id, messageId: byCallback.id, url: 'http://cb', body: '{}', tries: 0 });
    // A timer naming an inbound message keeps it too (the file store's rule names ids, whatever they are).
    await createTimerLeases(db.pool).schedule({ id: 'hold', kind: 'consent-hold', due: NOW + DAY, payload: { message: oldIn[0].id } });
    // Expired keyed values go; live ones stay.
    await idempotency.set(db.pool, 'expired', { key: 'expired', messageId: 'gone', bodyHash: 'h', expiresAt: NOW - 1 });
    for (let i = 0; i < 30; i++) await seen.set(db.pool, `s${i}`, NOW + (i < 20 ? -DAY : DAY));

    const started = performance.now();
    const result = await prune(db.pool, { cutoff: CUTOFF, now: NOW, batchSize: 250 });
    const ms = performance.now() - started;
    console.log(`postgres retention: ${result.messagesDeleted} messages + ${result.inboundDeleted} inbound + ${result.kvExpired} keyed values in ${result.statements} statements of ≤250 rows, ${ms.toFixed(0)} ms = ${((result.messagesDeleted + result.inboundDeleted) / (ms / 1000)).toFixed(0)} rows/s`);

    expect(result).toEqual({ messagesDeleted: 1197, inboundDeleted: 699, kvExpired: 21, statements: 5 + 3 + 1 });
    expect(await count('SELECT count(*) AS n FROM messages')).toBe(303);
    for (const kept of [byTimer, byKey, byCallback, recent[0]]) expect(await messages.get(db.pool, kept.id)).toEqual(kept);
    expect(await messages.get(db.pool, old[4].id)).toBeUndefined();
    expect(await inbound.get(db.pool, oldIn[0].id)).toEqual(oldIn[0]);
    expect(await inbound.get(db.pool, oldIn[1].id)).toBeUndefined();
    expect(await count('SELECT count(*) AS n FROM inbound')).toBe(51);

    // A receipt for a deleted message finds nothing; one for a kept message still finds it.
    expect(await attemptIndex.get(db.pool, `mock/pm-${old[4].id}`)).toBeUndefined();
    expect(await attemptIndex.get(db.pool, `mock/pm-${byKey.id}`)).toBe(byKey.id);
    expect(await count('SELECT count(*) AS n FROM attempt_index')).toBe(303);
    expect(await idempotency.get(db.pool, 'k1')).toBeDefined();
    expect((await seen.entries(db.pool, 100)).length).toBe(10);

    // Once the live state lets go, the next run takes them; a run with nothing to do is one statement a table.
    await idempotency.delete(db.pool, 'k1');
    expect(await prune(db.pool, { cutoff: CUTOFF, now: NOW, batchSize: 250 })).toEqual({ messagesDeleted: 1, inboundDeleted: 0, kvExpired: 0, statements: 3 });
  });
});
