import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ulid } from 'ulid';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import type { InboundRecord } from '../../src/model.js';
import { openStore } from './helpers.js';

const AT = Date.parse('2026-11-23T08:15:00Z');
const inbound = (text: string, at = AT): InboundRecord => ({
  id: ulid(at), instance: 'x', channel: 'sms', from: '+1', to: '+2', text, providerMessageId: 'p', receivedAt: new Date(at).toISOString(),
});
const lineOf = (r: { id: string }) => `${r.id}\t${JSON.stringify(r)}\n`;
const segmentFile = (dir: string, at = AT) => {
  const d = new Date(at).toISOString();
  return join(dir, 'inbound', d.slice(0, 10), `${d.slice(11, 13)}.jsonl`);
};

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-records-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('put', () => {
  it('refuses a record that cannot be serialized, or is too big, for its caller only; nothing of it is queued', async () => {
    const dir = tempDir();
    const store = await openStore(dir, { maxLineBytes: 10_000 });
    let deep: unknown = [];
    for (let i = 0; i < 6000; i += 1) deep = [deep];
    const tooDeep = { ...inbound('deep'), extra: deep };
    const tooBig = inbound('x'.repeat(20_000), AT + 1);
    const fine = inbound('fine', AT + 2);
    for (const bad of [tooDeep, tooBig]) {
      expect(() => store.inbound.put(bad)).toThrow(AppError);
      try {
        store.inbound.put(bad);
      } catch (err) {
        expect((err as AppError).code).toBe('validation_failed');
      }
    }
    store.inbound.put(fine);
    await store.commit();
    expect(await store.inbound.get(tooDeep.id)).toBeUndefined();
    expect(await store.inbound.get(tooBig.id)).toBeUndefined();
    const text = readFileSync(segmentFile(dir), 'utf8');
    expect(text).toBe(lineOf(fine));
    await store.close();
  });

  it('writes every version put, even one whose line has the CRC32 of the previous one', async () => {
    // Two versions of one record whose stored lines collide in CRC32, found by the birthday bound:
    // 2^17 of the first against ~2^15 of the second. Random pads over 10 characters, so (CRC being
    // linear) the variants span all 32 bits rather than a subspace the other version misses.
    const id = ulid(AT);
    const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const pad = () => Array.from({ length: 10 }, () => ALPHABET[Math.floor(Math.random() * ALPHABET.length)]).join('');
    // zlib's crc32 continues from a prefix's value: only the pad and the end are hashed each time.
    const prefixCrc = (n: number) => crc32(`${id}\t{"id":"${id}","n":${n},"pad":"`);
    const [crc1, crc2] = [prefixCrc(1), prefixCrc(2)];
    const seen = new Map<number, string>();
    for (let i = 0; i < 1 << 17; i += 1) {
      const p = pad();
      seen.set(crc32(`${p}"}\n`, crc1), p);
    }
    let pair: [{ id: string; n: number; pad: string }, { id: string; n: number; pad: string }] | undefined;
    while (!pair) {
      const p = pad();
      const hit = seen.get(crc32(`${p}"}\n`, crc2));
      if (hit !== undefined) pair = [{ id, n: 1, pad: hit }, { id, n: 2, pad: p }];
    }
    const [v1, v2] = pair;
    expect(crc32(lineOf(v1))).toBe(crc32(lineOf(v2)));
    expect(lineOf(v1)).not.toBe(lineOf(v2));

    const dir = tempDir();
    const store = await openStore(dir);
    store.inbound.put(v1 as unknown as InboundRecord);
    await store.commit();
    store.inbound.put(v2 as unknown as InboundRecord);
    await store.commit();
    await store.close();
    expect(readFileSync(segmentFile(dir), 'utf8')).toBe(lineOf(v1) + lineOf(v2));
    const again = await openStore(dir);
    expect(await again.inbound.get(id)).toEqual(v2);
    await again.close();
  });
});

describe('offsets', () => {
  it('records stored past 512 MiB into an hour read back (a sparse file stands for the traffic before them)', async () => {
    const dir = tempDir();
    const file = segmentFile(dir);
    mkdirSync(join(file, '..'), { recursive: true });
    // 520 MiB of hole, then a newline: one junk line without an id, which the index skips.
    writeFileSync(file, '');
    truncateSync(file, 520 * 2 ** 20 - 1);
    appendFileSync(file, '\n');
    const store = await openStore(dir);
    // Past 2^29 a packed offset·2^24 + length exceeds 2^53 and keeps lengths only to a multiple
    // of 2; a tie rounds to even, so lines of 4k + 1 bytes would read back one byte short.
    const sized = (text: string, at: number) => {
      const r = inbound(text, at);
      while (Buffer.byteLength(lineOf(r)) % 4 !== 1) r.text += '.';
      return r;
    };
    const records = [sized('past 512 MiB', AT), sized('and the next', AT + 1)];
    for (const r of records) store.inbound.put(r);
    await store.commit();
    await store.close();

    const again = await openStore(dir, { cacheBytes: 0 });
    for (const r of records) expect(await again.inbound.get(r.id)).toEqual(r);
    await again.close();
  });
});
