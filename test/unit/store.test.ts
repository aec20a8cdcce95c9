import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { describe, expect, it, vi } from 'vitest';
import type { InboundRecord } from '../../src/model.js';
import { appendFileSync, readFileSync } from 'node:fs';
import { createIdFactory, idTime } from '../../src/ids.js';
import { createGroupCommit } from '../../src/store/file/group-commit.js';
import { openFileStore } from '../../src/store/file/index.js';
import { openSegmentLog } from '../../src/store/file/segment-log.js';

const DAY = 86_400_000;
const record = (at: number, text: string): InboundRecord => ({
  id: ulid(at), instance: 'x', channel: 'sms', from: '+1', to: '+2', text, providerMessageId: text, receivedAt: new Date(at).toISOString(),
});

describe('file store', () => {
  it('partitions by hour, reads back after reopening, lists newest first, and retention deletes whole old files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-store-'));
    const now = Date.parse('2026-11-23T12:30:00Z');
    const store = await openFileStore({ dir, indexWindowMs: DAY, indexKeys: () => [] });
    const old = record(now - 40 * DAY, 'old');
    const recent = [record(now - 2 * 3_600_000, 'two hours ago'), record(now, 'now')];
    for (const r of [old, ...recent]) store.inbound.put(r);
    store.seen.set('expired', now - 1);
    store.seen.set('fresh', now + DAY);
    await store.commit();
    await store.close();
    expect(readdirSync(join(dir, 'inbound')).sort()).toEqual(['2026-10-14', '2026-11-23']);
    expect(readdirSync(join(dir, 'inbound', '2026-11-23')).sort()).toEqual(['10.jsonl', '12.jsonl']);

    const reopened = await openFileStore({ dir, indexWindowMs: DAY, indexKeys: () => [] });
    expect(await reopened.inbound.get(old.id)).toEqual(old);
    expect((await reopened.inbound.list({ limit: 10 })).items.map((r) => r.text)).toEqual(['now', 'two hours ago', 'old']);
    expect((await reopened.inbound.list({ limit: 10, since: now - DAY })).items.map((r) => r.text)).toEqual(['now', 'two hours ago']);
    expect((await reopened.inbound.list({ limit: 10, before: recent[1].id })).items.map((r) => r.text)).toEqual(['two hours ago', 'old']);

    const { partitionsDeleted } = await reopened.prune(now - 30 * DAY, now);
    expect(partitionsDeleted).toBe(1);
    expect(existsSync(join(dir, 'inbound', '2026-10-14'))).toBe(false);
    expect(await reopened.inbound.get(old.id)).toBeUndefined();
    expect(reopened.seen.get('expired')).toBeUndefined();
    expect(reopened.seen.get('fresh')).toBe(now + DAY);
    await reopened.close();
  });
});

describe('segment log', () => {
  it('appends only what was put, reads the newest version back from disk, and skips a torn last line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-seg-'));
    const gc = createGroupCommit();
    type Rec = { id: string; n: number };
    // Room for one record's line (69 bytes): every other read comes from disk.
    const log = await openSegmentLog<Rec>({ dir, gc, onWrite: () => {}, cacheBytes: 100 });
    const at = Date.parse('2026-11-23T08:15:00Z');
    const a = { id: ulid(at), n: 1 };
    const b = { id: ulid(at + 1), n: 1 };
    log.collection.put(a);
    log.collection.put(b);
    await gc.commit();
    const file = join(dir, '2026-11-23', '08.jsonl');
    const sizeAfterTwo = readFileSync(file).length;
    log.collection.put({ ...a, n: 2 });
    await gc.commit();
    // One changed record appended, not the segment rewritten.
    const grown = readFileSync(file).length - sizeAfterTwo;
    expect(grown).toBe(`${a.id}\t${JSON.stringify({ ...a, n: 2 })}\n`.length);
    // With a cache of one, `b` evicts `a`, so `a` comes from disk: the newest version.
    expect(await log.collection.get(b.id)).toEqual(b);
    expect(await log.collection.get(a.id)).toEqual({ ...a, n: 2 });

    appendFileSync(file, `${ulid(at + 2)}\t{"id":"torn`);
    await log.close();
    const reopened = await openSegmentLog<Rec>({ dir, gc: createGroupCommit(), onWrite: () => {} });
    expect((await reopened.collection.list({ limit: 10 })).items.map((r) => r.n)).toEqual([1, 2]);
    const versions: number[] = [];
    await reopened.forEach('2026-11-23/08', (r) => versions.push(r.n));
    expect(versions).toEqual([1, 1, 2]);
    await reopened.close();
  });
});

describe('hot state journal', () => {
  it('replays changes after a restart without a snapshot, and after compaction into the lowdb snapshot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-hot-'));
    const store = await openFileStore({ dir, indexWindowMs: DAY, indexKeys: () => [] });
    store.timers.set('t1', { id: 't1', kind: 'k', due: 1, payload: {} });
    store.timers.set('t2', { id: 't2', kind: 'k', due: 2, payload: {} });
    store.timers.delete('t1');
    await store.commit();
    await store.close();
    expect(existsSync(join(dir, 'state.json'))).toBe(false);
    // The header, the receipt index's coverage mark (a new store's index is complete), the three
    // changes, and the marker that commits them.
    const lines = readFileSync(join(dir, 'state.journal.0'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe('["#journal",2]');
    expect(lines[1]).toMatch(/^\["attemptIndexCoverage","from",\d+\]$/);
    expect(lines[5]).toBe('["#commit",{}]');

    const again = await openFileStore({ dir, indexWindowMs: DAY, indexKeys: () => [] });
    expect([...again.timers.values()].map((t) => t.id)).toEqual(['t2']);


    // Past 8 MB of journal the state is folded into state.json and a new journal begins.
    const big = 'x'.repeat(1000);
    for (let i = 0; i < 9000; i += 1) again.seen.set(`k${i % 100}`, i);
    again.idempotency.set('i', { key: 'i', messageId: big, bodyHash: 'h', expiresAt: 5 });
    for (let i = 0; i < 9000; i += 1) again.idempotency.set('i', { key: 'i', messageId: big, bodyHash: String(i), expiresAt: 5 });
    await again.commit();
    // The fold writes its snapshot in the background, then drops the journal it replaces.
    await vi.waitFor(() => {
      expect(existsSync(join(dir, 'state.json'))).toBe(true);
      expect(existsSync(join(dir, 'state.journal.0'))).toBe(false);
    });
    again.timers.set('t3', { id: 't3', kind: 'k', due: 3, payload: {} });
    await again.commit();
    await again.close();

    const third = await openFileStore({ dir, indexWindowMs: DAY, indexKeys: () => [] });
    expect([...third.timers.values()].map((t) => t.id).sort()).toEqual(['t2', 't3']);
    expect(third.idempotency.get('i')?.bodyHash).toBe('8999');
    expect(third.seen.size).toBe(100);
    await third.close();
  });
});

describe('ids', () => {
  it('are ULIDs in creation order, evenly spread over the alphabet', async () => {
    const next = createIdFactory();
    const ids = Array.from({ length: 5000 }, () => next(Date.parse('2026-11-23T00:00:00Z')));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    const other = createIdFactory();
    const counts = new Map<string, number>();
    // A new millisecond each time, so every random part is fresh rather than an increment.
    for (let i = 0; i < 5000; i += 1) for (const c of other(1_000_000 + i).slice(10)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(32);
    // 80,000 characters over 32 symbols: 2,500 each on average; a biased mapping would be far off.
    for (const n of counts.values()) expect(n).toBeGreaterThan(2200);
  });
});

describe('idTime', () => {
  it('reads the time ulid wrote, and refuses what is not a ULID', async () => {
    const { decodeTime } = await import('ulid');
    for (const t of [1, 1_469_918_176_385, Date.parse('2026-11-23T17:59:59.999Z'), 2 ** 48 - 1]) {
      const id = ulid(t);
      expect(idTime(id)).toBe(t);
      expect(idTime(id)).toBe(decodeTime(id));
    }
    for (const bad of ['', 'short', '01ARZ3NDEKTSV4RRFFQ69G5FA', '01ARZ3NDEKTSV4RRFFQ69G5FAVX', 'U1ARZ3NDEKTSV4RRFFQ69G5FAV', '01ARZ3NDEéTSV4RRFFQ69G5FAV']) {
      expect(idTime(bad)).toBeUndefined();
    }
  });
});
