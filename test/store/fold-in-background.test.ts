/**
 * A fold of the hot state writes its snapshot while later commits go on, and the snapshot holds the
 * state as of the fold's commit point: a change made after it is in no snapshot until committed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

describe('kill -9 while a fold writes in the background', () => {
  it('reopens to every acknowledged round, whatever the fold had written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-fold-kill-'));
    const script = fileURLToPath(new URL('./fixtures/fold-writer.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acked = -1;
    let killedFolding = false;
    let out = '';
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // Not the first fold (a folder's first snapshot): one that replaces a snapshot, in its middle.
    let folds = 0;
    let lastFolding = -2;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const line of lines) {
        const [word, n] = line.split(' ');
        if (word === 'acked') acked = Number(n);
        if (word === 'folding' && !killedFolding) {
          if (Number(n) !== lastFolding + 1) folds += 1;
          lastFolding = Number(n);
          if (folds >= 2) {
            killedFolding = true;
            child.kill('SIGKILL');
          }
        }
      }
    });
    await exited;
    expect(killedFolding).toBe(true);
    expect(readdirSync(dir).some((f) => f.startsWith('.state.json.'))).toBe(true);

    const hot = await HotState.open(dir, ['timers', 'index', 'filler'], hooks);
    // Round acked+1 was in flight: its changes may or may not have reached the journal.
    for (let i = 0; i <= acked; i += 1) {
      const deletedBy = i + 3;
      if (deletedBy <= acked) expect(hot.maps.timers.has(`t${i}`), `t${i}`).toBe(false);
      else if (deletedBy > acked + 1) expect(hot.maps.timers.get(`t${i}`), `t${i}`).toEqual({ round: i });
      for (let k = 0; k < 40; k += 1) expect(hot.maps.index.get(`i${i}.${k}`)).toBe(`m${i}`);
    }
    for (let slot = 0; slot < 300 && slot <= acked; slot += 1) {
      const last = acked - ((acked - slot) % 300);
      const stored = String(hot.maps.filler.get(`f${slot}`)).slice(0, -16_000);
      expect([String(last), String(last + 300)]).toContain(stored);
    }
    await hot.close();
  }, 60_000);
});
