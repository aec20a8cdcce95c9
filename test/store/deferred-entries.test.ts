/**
 * The receipt index read after the start (deferred-entries.ts): until its lines are parsed, every
 * read answers as the fully read map would, newer changes win over the snapshot's lines, and what
 * a start refused before (a cut `state.json`) it still refuses.
 */
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeferredEntries } from '../../src/store/file/deferred-entries.js';
import { HotState } from '../../src/store/file/hot-state.js';

const NAMES = ['timers', 'attemptIndex', 'other'];
const hooks = { onWrite: () => {}, touch: () => {}, deferred: ['attemptIndex'] };
const N = 500;
const key = (i: number) => `mock-sms/p${i}`;
const id = (i: number) => `01KMSG${String(i).padStart(6, '0')}`;

/** A folder whose state.json holds N index entries (plus `extra`), and whose journal holds `after`'s changes. */
async function folder(extra: [string, string][] = [], after?: (hot: HotState) => void): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-deferred-'));
  const hot = await HotState.open(dir, NAMES, hooks);
  for (let i = 0; i < N; i++) hot.set('attemptIndex', key(i), id(i));
  for (const [k, v] of extra) hot.set('attemptIndex', k, v);
  hot.set('other', 'x', 1);
  await (await hot.flush()).apply();
  await hot.adopt([]);
  if (after) {
    after(hot);
    await (await hot.flush()).apply();
  }
  await hot.close();
  return dir;
}

const index = (hot: HotState) => hot.maps.attemptIndex as DeferredEntries;

describe('the receipt index read after the start', () => {
  it('answers lookups from the lines not parsed yet, and a newer value over the snapshot\'s', async () => {
    const dir = await folder([], (hot) => hot.set('attemptIndex', key(7), 'newer'));
    const hot = await HotState.open(dir, NAMES, hooks);
    const map = index(hot);
    expect(map).toBeInstanceOf(DeferredEntries);
    expect(map.deferred).toBe(true);
    expect(map.get(key(7))).toBe('newer');
    expect(map.get(key(0))).toBe(id(0));
    expect(map.get(key(N - 1))).toBe(id(N - 1));
    // `p1` is a prefix of `p10…`; a line whose value merely contains a key's text is no match.
    expect(map.get('mock-sms/p')).toBeUndefined();
    expect(map.get(id(3))).toBeUndefined();
    expect(map.has(key(12))).toBe(true);
    expect(map.has('nope')).toBe(false);
    expect(map.deferred).toBe(true);
    // A send after the start sets its entry; the snapshot's line for that key never replaces it.
    hot.set('attemptIndex', key(20), 'resent');
    expect(map.size).toBe(N);
    expect(map.deferred).toBe(false);
    expect(map.get(key(20))).toBe('resent');
    expect(map.get(key(7))).toBe('newer');
    expect(new Map(map).get(key(N - 1))).toBe(id(N - 1));
    await hot.close();
  });

  it('parses the rest in the background once a lookup had to search, and deletes what the snapshot held', async () => {
    const dir = await folder();
    const hot = await HotState.open(dir, NAMES, hooks);
    expect(index(hot).get(key(3))).toBe(id(3));
    await new Promise((r) => setTimeout(r, 50));
    expect(index(hot).deferred).toBe(false);
    hot.delete('attemptIndex', key(4));
    await (await hot.flush()).apply();
    await hot.close();

    // The deletion was journaled: it holds after a restart, replayed over the deferred lines.
    const again = await HotState.open(dir, NAMES, hooks);
    expect(index(again).get(key(4))).toBeUndefined();
    expect(index(again).get(key(5))).toBe(id(5));
    expect(index(again).size).toBe(N - 1);
    await again.close();
  });

  it('parses the rest at once after a few dozen searches in a row, answering each as before', async () => {
    const dir = await folder();
    const hot = await HotState.open(dir, NAMES, hooks);
    const answers = Array.from({ length: 100 }, (_, i) => index(hot).get(key(i * 5)));
    expect(answers).toEqual(Array.from({ length: 100 }, (_, i) => id(i * 5)));
    expect(index(hot).deferred).toBe(false);
    expect(index(hot).get('missing')).toBeUndefined();
    await hot.close();
  });

  it('reads lines with escapes or other values as before, all at the start', async () => {
    const odd: [string, string][] = [['mock-sms/ü "quoted"', 'a\nb']];
    const dir = await folder(odd);
    const hot = await HotState.open(dir, NAMES, hooks);
    expect(hot.maps.attemptIndex).not.toBeInstanceOf(DeferredEntries);
    expect(hot.maps.attemptIndex.get(odd[0][0])).toBe('a\nb');
    expect(hot.maps.attemptIndex.get(key(9))).toBe(id(9));
    await hot.close();
  });

  it('refuses a state.json cut in the middle of the deferred lines', async () => {
    const dir = await folder();
    const file = join(dir, 'state.json');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text);
    truncateSync(file, Buffer.byteLength(text.slice(0, text.indexOf('\n', text.indexOf(key(N / 2))) + 1)));
    await expect(HotState.open(dir, NAMES, hooks)).rejects.toThrow(SyntaxError);
  });
});
