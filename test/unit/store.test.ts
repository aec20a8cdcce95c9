import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import type { InboundRecord } from '../../src/model.js';
import { createGroupCommit } from '../../src/store/lowdb/group-commit.js';
import { openLowdbStore } from '../../src/store/lowdb/lowdb-store.js';
import { createPartitioned } from '../../src/store/lowdb/partitions.js';

const DAY = 86_400_000;
const record = (at: number, text: string): InboundRecord => ({
  id: ulid(at), instance: 'x', channel: 'sms', from: '+1', to: '+2', text, providerMessageId: text, receivedAt: new Date(at).toISOString(),
});

describe('lowdb store', () => {
  it('partitions by hour, reads back after reopening, lists newest first, and retention deletes whole old files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-store-'));
    const now = Date.parse('2026-11-23T12:30:00Z');
    const store = await openLowdbStore({ dir, indexWindowMs: DAY });
    const old = record(now - 40 * DAY, 'old');
    const recent = [record(now - 2 * 3_600_000, 'two hours ago'), record(now, 'now')];
    for (const r of [old, ...recent]) store.inbound.put(r);
    store.seen.set('expired', now - 1);
    store.seen.set('fresh', now + DAY);
    await store.commit();
    expect(readdirSync(join(dir, 'inbound')).sort()).toEqual(['2026-10-14', '2026-11-23']);
    expect(readdirSync(join(dir, 'inbound', '2026-11-23')).sort()).toEqual(['10.json', '12.json']);

    const reopened = await openLowdbStore({ dir, indexWindowMs: DAY });
    expect(await reopened.inbound.get(old.id)).toEqual(old);
    expect((await reopened.inbound.list({ limit: 10 })).map((r) => r.text)).toEqual(['now', 'two hours ago', 'old']);
    expect((await reopened.inbound.list({ limit: 10, since: now - DAY })).map((r) => r.text)).toEqual(['now', 'two hours ago']);
    expect((await reopened.inbound.list({ limit: 10, before: recent[1].id })).map((r) => r.text)).toEqual(['two hours ago', 'old']);

    const { partitionsDeleted } = await reopened.prune(now - 30 * DAY, now);
    expect(partitionsDeleted).toBe(1);
    expect(existsSync(join(dir, 'inbound', '2026-10-14'))).toBe(false);
    expect(await reopened.inbound.get(old.id)).toBeUndefined();
    expect(reopened.seen.get('expired')).toBeUndefined();
    expect(reopened.seen.get('fresh')).toBe(now + DAY);
  });
});

describe('partition memory', () => {
  it('keeps partitions with records still in use in memory and lets finished ones go', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-pin-'));
    const gc = createGroupCommit();
    type Rec = { id: string; done: boolean };
    const parts = createPartitioned<Rec>({ dir, gc, onWrite: () => {}, maxLoaded: 1, pinned: (r) => !r.done });
    const hour = 3_600_000;
    const base = Date.parse('2026-11-23T00:00:00Z');
    const busy = { id: ulid(base), done: false };
    const done = { id: ulid(base + hour), done: true };
    parts.collection.put(busy);
    parts.collection.put(done);
    await parts.settle();
    await gc.commit();
    const heldBusy = await parts.collection.get(busy.id);
    const heldDone = await parts.collection.get(done.id);
    // Loading a third partition evicts beyond maxLoaded, but never the one with a busy record.
    await parts.collection.get(ulid(base + 2 * hour));
    expect(await parts.collection.get(busy.id)).toBe(heldBusy);
    expect(await parts.collection.get(done.id)).not.toBe(heldDone);
    expect(await parts.collection.get(done.id)).toEqual(done);
  });
});
