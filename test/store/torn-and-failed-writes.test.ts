import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import type { InboundRecord, TimerRecord } from '../../src/model.js';
import { writeFully } from '../../src/store/file/safe-write.js';
import { crashLeftovers, mountTmpfs, openStore, type Tmpfs } from './helpers.js';

const AT = Date.parse('2026-11-23T08:15:00Z');
const inbound = (text: string, at = AT): InboundRecord => ({
  id: ulid(at), instance: 'x', channel: 'sms', from: '+1', to: '+2', text, providerMessageId: text, receivedAt: new Date(at).toISOString(),
});
const timer = (id: string): TimerRecord => ({ id, kind: 'k', due: 1, payload: {} });
const segmentFile = (dir: string) => join(dir, 'inbound', '2026-11-23', '08.jsonl');

describe('torn tails', () => {
  it('a torn segment line left by a crash is cut on open, so the next record is not glued to it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-torn-'));
    const store = await openStore(dir);
    const a = inbound('a');
    store.inbound.put(a);
    await store.commit();
    await store.close();
    appendFileSync(segmentFile(dir), `${ulid(AT + 1)}\t{"id":"torn`);

    const again = await openStore(dir);
    expect(readFileSync(segmentFile(dir), 'utf8').endsWith('\n')).toBe(true);
    const b = inbound('b', AT + 2);
    again.inbound.put(b);
    await again.commit();
    await again.close();

    const third = await openStore(dir);
    expect(await third.inbound.get(b.id)).toEqual(b);
    expect((await third.inbound.list({ limit: 10 })).items.map((r) => r.text)).toEqual(['b', 'a']);
    await third.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a torn journal line is cut on open, so the next change is not glued to it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-torn-journal-'));
    const store = await openStore(dir);
    store.timers.set('t1', timer('t1'));
    await store.commit();
    await store.close();
    appendFileSync(join(dir, 'state.journal.0'), '["timers","t9",{"id":"t9"');

    const again = await openStore(dir);
    again.timers.set('t2', timer('t2'));
    await again.commit();
    await again.close();

    const third = await openStore(dir);
    expect([...third.timers.values()].map((t) => t.id).sort()).toEqual(['t1', 't2']);
    await third.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('writeFully', () => {
  it('goes on after a short write until every byte is at its position, and fails when nothing more goes', async () => {
    const disk = Buffer.alloc(32);
    let budget = 20;
    // The kernel's side of write(2): at most 7 bytes a call, and nothing once the budget is spent.
    const fh = {
      async write(buf: Buffer, offset: number, length: number, position: number) {
        const n = Math.min(length, 7, budget);
        buf.copy(disk, position, offset, offset + n);
        budget -= n;
        return { bytesWritten: n, buffer: buf };
      },
    } as unknown as FileHandle;
    await writeFully(fh, Buffer.from('0123456789abcdef'), 4);
    expect(disk.toString('latin1', 4, 20)).toBe('0123456789abcdef');
    await expect(writeFully(fh, Buffer.from('more than is left'), 0)).rejects.toThrow(/short write/);
  });
});

describe('on a full disk', () => {
  let fs: Tmpfs;
  beforeAll(() => {
    fs = mountTmpfs('1m');
  });
  afterAll(() => fs.unmount());

  it('a commit that cannot be written rejects with StoreUnavailableError, leaves no bytes, keeps its changes for the next commit', async () => {
    const dir = join(fs.dir, 'keep');
    const store = await openStore(dir);
    const first = inbound('first');
    store.inbound.put(first);
    await store.commit();
    const goodSize = statSync(segmentFile(dir)).size;
    expect(store.writable).toBe(true);

    const filler = fs.fill(0);
    // Bigger than any page left: the kernel takes part of it, then refuses.
    const big = inbound('x'.repeat(64 * 1024), AT + 1);
    store.inbound.put(big);
    store.timers.set('t1', timer('t1'));
    await expect(store.commit()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(store.writable).toBe(false);
    expect(statSync(segmentFile(dir)).size).toBe(goodSize);
    expect(await store.inbound.get(big.id)).toEqual(big);

    rmSync(filler);
    await store.commit();
    expect(store.writable).toBe(true);
    await store.close();

    const again = await openStore(dir);
    expect(await again.inbound.get(big.id)).toEqual(big);
    expect(await again.inbound.get(first.id)).toEqual(first);
    expect(again.timers.get('t1')).toEqual(timer('t1'));
    await again.close();
  });

  it('a refused commit leaves nothing behind: a segment that took its part is cut again when the journal fails', async () => {
    const dir = join(fs.dir, 'undo');
    const store = await openStore(dir);
    store.inbound.put(inbound('first'));
    await store.commit();
    const goodSize = statSync(segmentFile(dir)).size;

    const filler = fs.fill(0);
    // A small record fits the slack of the segment's last page; a 64 kB journal line does not.
    const refused = inbound('refused', AT + 1);
    store.inbound.put(refused);
    store.timers.set('big', { ...timer('big'), payload: { blob: 'b'.repeat(64 * 1024) } });
    await expect(store.commit()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(statSync(segmentFile(dir)).size).toBe(goodSize);
    store.inbound.discard(refused.id);
    store.timers.delete('big');
    rmSync(filler);
    await store.commit();
    await store.close();

    const again = await openStore(dir);
    expect(await again.inbound.get(refused.id)).toBeUndefined();
    expect(again.timers.get('big')).toBeUndefined();
    await again.close();
  });

  it('after a failed append the next one lands at the last good size, and a crash then reads back every acknowledged record', async () => {
    const dir = join(fs.dir, 'crash');
    const store = await openStore(dir);
    const acknowledged: InboundRecord[] = [];
    for (let i = 0; i < 3; i += 1) {
      const r = inbound(`r${i}`, AT + i);
      store.inbound.put(r);
      await store.commit();
      acknowledged.push(r);
    }
    const filler = fs.fill(0);
    store.inbound.put(inbound('y'.repeat(64 * 1024), AT + 10));
    await expect(store.commit()).rejects.toBeInstanceOf(StoreUnavailableError);
    rmSync(filler);
    const after = inbound('after', AT + 11);
    store.inbound.put(after);
    await store.commit();
    acknowledged.push(after);
    // No close: what is on disk now is what a restart finds.
    crashLeftovers(dir);

    const again = await openStore(dir);
    for (const r of acknowledged) expect((await again.inbound.get(r.id))?.text).toBe(r.text);
    for (const line of readFileSync(segmentFile(dir), 'utf8').split('\n').filter(Boolean)) expect(() => JSON.parse(line.slice(27))).not.toThrow();
    await again.close();
    await store.close().catch(() => undefined);
  });
});
