import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { createGroupCommit, type CommitEnd, type CommitPoint, type Flushable, type Staged } from '../../src/store/file/group-commit.js';

/** A file whose flushes the test finishes by hand, counting what the commit did with them. */
function manualFile() {
  const calls: { resolve: () => void; reject: (err: Error) => void }[] = [];
  const counts = { applied: 0, undone: 0 };
  let running = 0;
  let overlapped = false;
  const staged: Staged = {
    apply: () => {
      counts.applied += 1;
    },
    undo: async () => {
      counts.undone += 1;
    },
  };
  const file: Flushable = {
    flush: () => new Promise<Staged>((resolve, reject) => {
      running += 1;
      if (running > 1) overlapped = true;
      const done = () => {
        running -= 1;
      };
      calls.push({ resolve: () => (done(), resolve(staged)), reject: (err) => (done(), reject(err)) });
    }),
  };
  return { file, calls, counts, get overlapped() { return overlapped; } };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('group commit', () => {
  it('a failed flush rejects its waiters with StoreUnavailableError and clears writable until one succeeds; the file stays dirty', async () => {
    const a = manualFile();
    const gc = createGroupCommit();
    gc.markDirty(a.file);
    const first = gc.commit();
    await turn();
    a.calls[0].reject(Object.assign(new Error('no space'), { code: 'ENOSPC' }));
    const err = await first.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as StoreUnavailableError).cause).toMatchObject({ code: 'ENOSPC' });
    expect(gc.writable).toBe(false);

    // Nothing new was marked: the retry flushes the same file again.
    const second = gc.commit();
    await turn();
    expect(a.calls).toHaveLength(2);
    a.calls[1].resolve();
    await second;
    expect(gc.writable).toBe(true);
  });

  it('does not start the next flush while a file of a failed one is still writing', async () => {
    const a = manualFile();
    const b = manualFile();
    const gc = createGroupCommit();
    gc.markDirty(a.file);
    gc.markDirty(b.file);
    const first = gc.commit().catch((e: unknown) => e);
    await turn();
    a.calls[0].reject(new Error('EIO'));
    const second = gc.commit();
    for (let i = 0; i < 5; i += 1) await turn();
    // b's write is still running: the retry of a (and b) must wait for it.
    expect(a.calls).toHaveLength(1);
    b.calls[0].resolve();
    expect(await first).toBeInstanceOf(StoreUnavailableError);
    await turn();
    a.calls[1].resolve();
    b.calls[1]?.resolve();
    await second;
    expect(a.overlapped || b.overlapped).toBe(false);
  });

  it('is all or nothing: when one file fails, what another wrote is undone and marked written only by a later commit', async () => {
    const a = manualFile();
    const b = manualFile();
    const gc = createGroupCommit();
    gc.markDirty(a.file);
    gc.markDirty(b.file);
    const first = gc.commit().catch((e: unknown) => e);
    await turn();
    b.calls[0].resolve();
    a.calls[0].reject(new Error('ENOSPC'));
    expect(await first).toBeInstanceOf(StoreUnavailableError);
    expect(b.counts).toEqual({ applied: 0, undone: 1 });

    const second = gc.commit();
    await turn();
    a.calls[1].resolve();
    b.calls[1].resolve();
    await second;
    expect([a.counts, b.counts]).toEqual([{ applied: 1, undone: 0 }, { applied: 1, undone: 1 }]);
  });

  it('writes the files of a commit beside its marker, which names where each ends and what it appends', async () => {
    const events: string[] = [];
    let finishWrite!: () => void;
    const staged = (name: string): Staged => ({ apply: () => void events.push(`${name} applied`), undo: async () => void events.push(`${name} undone`) });
    const file: Flushable = {
      flush: () => Promise.reject(new Error('a file that can prepare is not flushed whole')),
      prepare: async () => ({
        ends: [['messages/2026-11-30/03', 120, 100, 42]],
        write: () => {
          events.push('file write started');
          return new Promise<Staged>((resolve) => {
            finishWrite = () => resolve(staged('file'));
          });
        },
      }),
    };
    let named: readonly CommitEnd[] = [];
    const point: CommitPoint = {
      flush: () => Promise.reject(new Error('the commit point is written through beginCommit')),
      beginCommit: () => async (ends) => {
        events.push('marker written');
        named = ends;
        return staged('marker');
      },
    };
    const gc = createGroupCommit(() => undefined, point);
    gc.markDirty(file);
    let done = false;
    const commit = gc.commit().then(() => (done = true));
    for (let i = 0; i < 5 && !events.includes('marker written'); i += 1) await turn();
    // The marker went out while the file's write was still running, and nobody was told yet.
    expect(events).toEqual(['file write started', 'marker written']);
    expect(named).toEqual([['messages/2026-11-30/03', 120, 100, 42]]);
    expect(done).toBe(false);
    finishWrite();
    await commit;
    expect(events.slice(2).sort()).toEqual(['file applied', 'marker applied']);
  });

  it('a failed write beside the marker undoes the marker too', async () => {
    const undone: string[] = [];
    const file: Flushable = {
      flush: () => Promise.reject(new Error('unused')),
      prepare: async () => ({ ends: [['inbound/2026-11-30/03', 10, 0, 1]], write: () => Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' })) }),
    };
    const point: CommitPoint = {
      flush: () => Promise.reject(new Error('unused')),
      beginCommit: () => async () => ({ apply: () => undefined, undo: async () => void undone.push('marker') }),
    };
    const gc = createGroupCommit(() => undefined, point);
    gc.markDirty(file);
    await expect(gc.commit()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(undone).toEqual(['marker']);
    expect(gc.writable).toBe(false);
  });

  it('close waits for the flush in flight and refuses later commits', async () => {
    const a = manualFile();
    const gc = createGroupCommit();
    gc.markDirty(a.file);
    const inFlight = gc.commit();
    await turn();
    let closed = false;
    const closing = gc.close().then(() => {
      closed = true;
    });
    await turn();
    expect(closed).toBe(false);
    a.calls[0].resolve();
    await inFlight;
    await closing;
    await expect(gc.commit()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
