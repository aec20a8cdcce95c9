/**
 * A fold of the hot state writes its snapshot while later commits go on, and the snapshot holds the
 * state as of the fold's commit point: a change made after it is in no snapshot until committed.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommittedView } from '../../src/store/file/committed-view.js';
import { HotState } from '../../src/store/file/hot-state.js';
import { journalGenerations } from '../../src/store/file/journal.js';

const NAMES = ['big', 'small'];
const hooks = { onWrite: () => {}, touch: () => {} };

async function commit(hot: HotState): Promise<void> {
  await (await hot.beginCommit()([])).apply();
}

/**
 * A hot state whose last commit took the journal past its bound (8 MB), `small` holding a, b and d
 * committed last: that commit switched journals and started a fold, which is writing now.
 */
async function foldStarted(): Promise<{ dir: string; hot: HotState }> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-fold-'));
  const hot = await HotState.open(dir, NAMES, hooks);
  const filler = 'x'.repeat(200);
  for (let i = 0; i < 45_000; i += 1) hot.set('big', `k${i}`, filler);
  for (const k of ['a', 'b', 'd']) hot.set('small', k, `${k}-committed`);
  await commit(hot);
  return { dir, hot };
}

describe('a fold in the background', () => {
  it('lets the next commits finish before its snapshot is written, and drops the old journal after it', async () => {
    const { dir, hot } = await foldStarted();
    let folded = false;
    const settled = hot.settled().then(() => {
      folded = true;
    });
    for (let i = 0; i < 3; i += 1) {
      hot.set('small', `later-${i}`, 'v');
      await commit(hot);
    }
    expect(folded).toBe(false);
    await settled;
    expect(await journalGenerations(dir)).toEqual([1]);
    await hot.close();
  });

  it('writes the state as of its commit point: a crash before later changes commit finds them in no snapshot', async () => {
    const { dir, hot } = await foldStarted();
    // While the fold writes (45,000 entries come before these), changes that never commit:
    hot.delete('small', 'a');
    hot.set('small', 'b', 'b-changed');
    hot.set('small', 'c', 'c-never-committed');
    hot.delete('small', 'd');
    hot.set('small', 'd', 'd-again');
    await hot.settled();
    // kill -9 here: the journal holds none of them.
    const again = await HotState.open(dir, NAMES, hooks);
    expect(Object.fromEntries(again.maps.small)).toEqual({ a: 'a-committed', b: 'b-committed', d: 'd-committed' });
    expect(again.maps.big.size).toBe(45_000);
    await again.close();
    expect(readdirSync(dir).filter((f) => f.startsWith('state.journal.'))).toEqual(['state.journal.1']);
  });
});

describe('CommittedView', () => {
  it('gives each key its value at the commit point, however the map changes while it is read', () => {
    const map = new Map<string, unknown>([['a', 1], ['b', 2], ['c', 3], ['d', 4]]);
    const view = new CommittedView();
    const change = (k: string, v?: number) => {
      view.before('m', k, map);
      if (v === undefined) map.delete(k);
      else map.set(k, v);
    };
    change('b', 20); // changed before the read reaches it
    change('e', 5); // set after the commit point
    const read = view.entries('m', map);
    const seen: [string, unknown][] = [read.next().value as [string, unknown]];
    change('a', 10); // already read
    change('c'); // deleted before the read reaches it
    change('a'); // deleted after it was read…
    change('a', 11); // …and set again: the read comes round to it once more
    change('d', 40);
    for (let r = read.next(); !r.done; r = read.next()) seen.push(r.value);
    expect(seen.sort()).toEqual([['a', 1], ['b', 2], ['c', 3], ['d', 4]]);
  });
});
