import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeadLetter, InboundRecord } from '../../src/model.js';
import { createGroupCommit } from '../../src/store/file/group-commit.js';
import { segmentKey } from '../../src/store/file/segment-key.js';
import { openSegmentLog } from '../../src/store/file/segment-log.js';
import { SegmentSet } from '../../src/store/file/segment-set.js';
import { INDEX_ENTRY_BYTES } from '../../src/store/file/segment.js';
import { CHUNK } from '../../src/store/file/line-scan.js';
import { openStore } from './helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const AT = Date.parse('2026-11-23T08:15:00Z');
const inbound = (text: string, at = AT): InboundRecord => ({
  id: ulid(at), instance: 'x', channel: 'sms', from: '+1', to: '+2', text, providerMessageId: 'p', receivedAt: new Date(at).toISOString(),
});
const lineBytes = (r: { id: string }) => Buffer.byteLength(`${r.id}\t${JSON.stringify(r)}\n`);

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-bounds-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('retention', () => {
  it('never deletes a partition that live state points into, and expires old dead letters', async () => {
    const dir = tempDir();
    const now = AT + 40 * DAY;
    const store = await openStore(dir, { deadLetterMaxAgeMs: 7 * DAY });
    const old = [inbound('h0', AT), inbound('h1', AT + HOUR), inbound('h2', AT + 2 * HOUR)];
    for (const r of old) store.inbound.put(r);
    const letter = (id: string, at: number): DeadLetter => ({ id, kind: 'callback', reason: 'r', at: new Date(at).toISOString(), job: {} as DeadLetter['job'] });
    store.deadLetters.set('stale', letter('stale', now - 8 * DAY));
    store.deadLetters.set('recent', letter('recent', now - DAY));
    await store.commit();

    const { partitionsDeleted } = await store.prune(now - 30 * DAY, now, [old[1].id, 'not-an-id']);
    expect(partitionsDeleted).toBe(2);
    expect(await store.inbound.get(old[1].id)).toEqual(old[1]);
    expect(await store.inbound.get(old[0].id)).toBeUndefined();
    expect(readdirSync(join(dir, 'inbound', '2026-11-23'))).toEqual(['09.jsonl']);
    expect([...store.deadLetters.values()].map((d) => d.id)).toEqual(['recent']);
    await store.close();
  });
});

describe('memory bounds', () => {
  it('the record cache is bounded by the bytes of the stored lines, not a count', async () => {
    const dir = tempDir();
    const records = Array.from({ length: 5 }, (_, i) => inbound('x'.repeat(3000), AT + i));
    const store = await openStore(dir, { cacheBytes: 3 * lineBytes(records[0]) });
    for (const r of records) store.inbound.put(r);
    await store.commit();
    // Cached records come back as the same object; the evicted one is parsed from disk again.
    expect(await store.inbound.get(records[4].id)).toBe(records[4]);
    expect(await store.inbound.get(records[2].id)).toBe(records[2]);
    const reread = await store.inbound.get(records[0].id);
    expect(reread).not.toBe(records[0]);
    expect(reread).toEqual(records[0]);
    await store.close();
  });

  it('keeps segment indexes within their byte budget, least recently used out first', async () => {
    const dir = tempDir();
    const gc = createGroupCommit();
    const log = await openSegmentLog<InboundRecord>({ dir, gc, onWrite: () => {} });
    for (let h = 0; h < 3; h += 1) for (let i = 0; i < 100; i += 1) log.collection.put(inbound('r', AT + h * HOUR + i));
    await gc.commit();
    await log.close();

    const set = await SegmentSet.open(dir, { indexBytes: 150 * INDEX_ENTRY_BYTES, maxOpenFiles: 8 });
    const segs = [0, 1, 2].map((h) => set.find(segmentKey(AT + h * HOUR))!);
    for (const seg of segs) await set.index(seg);
    expect(segs.map((s) => s.indexed)).toEqual([false, false, true]);
    await set.index(segs[0]);
    expect(segs.map((s) => s.indexed)).toEqual([true, false, false]);
    await set.close();
  });

  it('loads a segment index once however many ask at the same time, and a miss for an hour without a file adds nothing', async () => {
    const dir = tempDir();
    const gc = createGroupCommit();
    const log = await openSegmentLog<InboundRecord>({ dir, gc, onWrite: () => {} });
    for (let i = 0; i < 50; i += 1) log.collection.put(inbound('r', AT + i));
    await gc.commit();
    await log.close();

    const set = await SegmentSet.open(dir, { indexBytes: 1 << 20, maxOpenFiles: 8 });
    const seg = set.find(segmentKey(AT))!;
    const loads = await Promise.all(Array.from({ length: 200 }, () => seg.loadIndex()));
    expect(new Set(loads).size).toBe(1);
    expect(loads[0].size).toBe(50);
    for (let h = 1; h < 2000; h += 1) expect(set.find(segmentKey(AT - h * HOUR))).toBeUndefined();
    expect(set.keys()).toEqual([segmentKey(AT)]);
    await set.close();

    const reopened = await openSegmentLog<InboundRecord>({ dir, gc, onWrite: () => {} });
    for (let h = 1; h < 200; h += 1) expect(await reopened.collection.get(ulid(AT - h * HOUR))).toBeUndefined();
    expect(reopened.keys()).toEqual([segmentKey(AT)]);
    expect(readdirSync(join(dir, '2026-11-23'))).toEqual(['08.jsonl']);
    await reopened.close();
  });

  it('indexes a segment by streaming it: records across chunk edges and bigger than a chunk read back', async () => {
    const dir = tempDir();
    const gc = createGroupCommit();
    const log = await openSegmentLog<InboundRecord>({ dir, gc, onWrite: () => {}, cacheBytes: 0 });
    // Line lengths chosen so a line head (id + tab) straddles the first chunk edge and a record
    // spans more than two chunks.
    const sized = (bytes: number, i: number) => {
      const r = inbound('', AT + i);
      return { ...r, text: 'y'.repeat(bytes - lineBytes(r)) };
    };
    const records = [sized(CHUNK - 10, 0), sized(2.5 * CHUNK, 1), sized(300, 2), sized(CHUNK, 3), sized(250, 4)];
    for (const r of records) log.collection.put(r);
    await gc.commit();
    await log.close();

    const reopened = await openSegmentLog<InboundRecord>({ dir, gc, onWrite: () => {}, cacheBytes: 0 });
    for (const r of [...records].reverse()) expect(await reopened.collection.get(r.id)).toEqual(r);
    await reopened.close();
  });
});

describe('list', () => {
  it('reads at most scanLimit records a call, says where to go on, and leaves the hot records cached', async () => {
    const dir = tempDir();
    const records = Array.from({ length: 20 }, (_, i) => inbound(`r${i}`, AT + i));
    const store = await openStore(dir, { cacheBytes: 3 * lineBytes(records[0]) });
    for (const r of records) store.inbound.put(r);
    await store.commit();
    const hot = records[19];
    expect(await store.inbound.get(hot.id)).toBe(hot);

    const all = await store.inbound.list({ limit: 100 });
    expect(all.items.map((r) => r.text)).toEqual(records.map((r) => r.text).reverse());
    expect(all.next).toBeUndefined();
    expect(await store.inbound.get(hot.id)).toBe(hot);

    const none = await store.inbound.list({ limit: 100, scanLimit: 5, filter: () => false });
    expect(none.items).toEqual([]);
    expect(none.next).toBe(records[15].id);
    const rest = await store.inbound.list({ limit: 100, scanLimit: 100, before: none.next });
    expect(rest.items.map((r) => r.text)).toEqual(records.slice(0, 15).map((r) => r.text).reverse());

    const firstPage = await store.inbound.list({ limit: 4 });
    expect(firstPage.items).toHaveLength(4);
    expect(firstPage.next).toBe(records[16].id);
    await store.close();
  });
});
