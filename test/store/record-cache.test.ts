import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { afterEach, describe, expect, it } from 'vitest';
import { isOpenMessage } from '../../src/engine/receipts.js';
import type { Message } from '../../src/model.js';
import { ByteBudget } from '../../src/store/file/byte-budget.js';
import { openStore } from './helpers.js';

const AT = Date.parse('2026-11-23T08:15:00Z');
// Only what the cache and `isOpenMessage` look at; the store keeps any JSON.
const message = (i: number, status: Message['status'], attempt?: Message['attempts'][number]['status']) => ({
  id: ulid(AT + i), status, text: 'x'.repeat(2000),
  attempts: attempt ? [{ id: `a${i}`, status: attempt }] : [],
}) as unknown as Message;
const lineBytes = (r: Message) => Buffer.byteLength(`${r.id}\t${JSON.stringify(r)}\n`);

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const open = (cacheRecords: number, openRecords: number) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-record-cache-'));
  dirs.push(dir);
  const size = lineBytes(message(0, 'delivered', 'delivered'));
  return openStore(dir, { isOpen: isOpenMessage, cacheBytes: cacheRecords * size + 10, openCacheBytes: openRecords * size + 10 });
};

describe('the record cache keeps what is open', () => {
  it('calls a message open while it routes or an attempt waits for a receipt', () => {
    expect(isOpenMessage(message(0, 'accepted'))).toBe(true);
    expect(isOpenMessage(message(0, 'routing', 'sending'))).toBe(true);
    expect(isOpenMessage(message(0, 'sent', 'sent'))).toBe(true);
    expect(isOpenMessage(message(0, 'delivered', 'delivered'))).toBe(false);
    expect(isOpenMessage(message(0, 'failed', 'failed'))).toBe(false);
  });

  it('a burst of finished records does not push out messages waiting for receipts', async () => {
    const store = await open(3, 2);
    const waiting = [message(0, 'sent', 'sent'), message(1, 'routing', 'sending')];
    const done = Array.from({ length: 10 }, (_, i) => message(10 + i, 'delivered', 'delivered'));
    for (const m of [...waiting, ...done]) store.messages.put(m);
    await store.commit();
    // The same object back is a cache hit; a record read from disk again is a copy.
    for (const m of waiting) expect(await store.messages.get(m.id)).toBe(m);
    expect(await store.messages.get(done[9].id)).toBe(done[9]);
    const reread = await store.messages.get(done[0].id);
    expect(reread).not.toBe(done[0]);
    expect(reread).toEqual(done[0]);
    await store.close();
  });

  it('bounds the open records by their own bytes, and a record that closes joins the rest', async () => {
    const store = await open(1, 2);
    const waiting = Array.from({ length: 3 }, (_, i) => message(i, 'sent', 'sent'));
    for (const m of waiting) store.messages.put(m);
    await store.commit();
    expect(await store.messages.get(waiting[0].id)).not.toBe(waiting[0]);
    expect(await store.messages.get(waiting[2].id)).toBe(waiting[2]);

    // waiting[2] gets its final receipt: it now competes with other finished records.
    waiting[2].status = 'delivered';
    waiting[2].attempts[0].status = 'delivered';
    store.messages.put(waiting[2]);
    const later = message(50, 'delivered', 'delivered');
    store.messages.put(later);
    await store.commit();
    expect(await store.messages.get(later.id)).toBe(later);
    expect(await store.messages.get(waiting[2].id)).not.toBe(waiting[2]);
    expect(await store.messages.get(waiting[2].id)).toEqual(waiting[2]);
    await store.close();
  });
});

describe('a byte budget', () => {
  const weighing = (bytes: number) => ({ bytes });

  it('keeps entries within its bytes, the oldest set first out; a rewrite replaces, a deletion frees', () => {
    const budget = new ByteBudget<{ bytes: number }>(100);
    budget.set('a', weighing(40));
    budget.set('b', weighing(40));
    budget.set('a', weighing(30));
    expect(budget.bytes).toBe(70);
    budget.set('c', weighing(50));
    expect([...budget.entries.keys()]).toEqual(['a', 'c']);
    expect(budget.bytes).toBe(80);
    budget.set('d', weighing(101));
    expect(budget.entries.has('d')).toBe(false);
    budget.deleteWhere((id) => id === 'a');
    expect(budget.bytes).toBe(50);
  });

  it('evicts in age order across many sets, rewrites, moves and deletions, as a plain list would', () => {
    const budget = new ByteBudget<{ bytes: number }>(1000);
    // The reference: a list, oldest first, searched from the front every time.
    let model: Array<[string, number]> = [];
    const modelSet = (id: string, bytes: number) => {
      model = model.filter(([k]) => k !== id);
      if (bytes > 1000) return;
      model.push([id, bytes]);
      while (model.reduce((sum, [, b]) => sum + b, 0) > 1000) model.shift();
    };
    let seed = 7;
    const random = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    for (let i = 0; i < 5000; i += 1) {
      const id = `r${random(120)}`;
      const roll = random(10);
      if (roll < 6) {
        const bytes = 1 + random(roll === 0 ? 1100 : 90);
        budget.set(id, weighing(bytes));
        modelSet(id, bytes);
      } else if (roll < 8) {
        budget.delete(id);
        model = model.filter(([k]) => k !== id);
      } else {
        // A caller's LRU move: to the young end without a set.
        const hit = budget.entries.get(id);
        if (hit) {
          budget.entries.delete(id);
          budget.entries.set(id, hit);
          const at = model.findIndex(([k]) => k === id);
          model.push(...model.splice(at, 1));
        }
      }
      expect([...budget.entries].map(([k, e]) => [k, e.bytes])).toEqual(model);
      expect(budget.bytes).toBe(model.reduce((sum, [, b]) => sum + b, 0));
    }
  });
});
