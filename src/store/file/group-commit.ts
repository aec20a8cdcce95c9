import { StoreUnavailableError } from '../../errors.js';

/** A flush that is on disk but counts only once every file of its commit is. */
export interface Staged {
  /** Where each file this flush appended to now ends (`<collection>/<hour>` → bytes), for the commit marker. */
  ends?: readonly (readonly [string, number])[];
  /** Every file of the commit is written: mark its changes written. */
  apply(): void | Promise<void>;
  /** Another file failed: cut this one's bytes again, keeping its changes pending. */
  undo(): Promise<void>;
}

/** Something that writes its pending changes in one go, keeping them when the write fails. */
export interface Flushable {
  flush(): Promise<Staged>;
}

/**
 * The file whose write makes a commit durable (the hot-state journal): written after every other
 * file of the commit, with a marker naming where they end. A crash before it leaves their bytes
 * past the marked ends, and opening cuts them: a commit is on disk whole or not at all.
 */
export interface CommitPoint extends Flushable {
  /**
   * Takes the changes queued now (in the same tick as the other files take theirs, so a change
   * made while they write belongs to the next commit in every file) and returns the writer of
   * the commit record: those changes and a marker naming where the other files end.
   */
  beginCommit(): (ends: readonly (readonly [string, number])[]) => Promise<Staged>;
}

export const NOTHING_STAGED: Staged = { apply: () => undefined, undo: async () => undefined };

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Coalesces commits: every `commit()` made while a flush runs joins the next flush, which writes
 * each dirty file once. A waiter resolves only after the flush that holds its changes finished.
 * A commit is all or nothing: when one file fails, what the others wrote is cut again, the
 * waiters get a `StoreUnavailableError`, `writable` turns false until a flush succeeds, and the
 * changes stay queued for the next commit.
 *
 * @example
 *   const gc = createGroupCommit();
 *   gc.markDirty(hotFile); await gc.commit();
 */
export function createGroupCommit(onFlush: () => void = () => {}, commitPoint?: CommitPoint) {
  let dirty = new Set<Flushable>();
  let waiters: Waiter[] = [];
  let running: Promise<void> | null = null;
  let scheduled = false;
  let closed = false;
  let writable = true;

  async function flushAll(files: Set<Flushable>): Promise<void> {
    const data = [...files].filter((f) => f !== commitPoint);
    const writeCommit = commitPoint?.beginCommit();
    // allSettled: the next flush must not start while a file of this one is still writing.
    const results = await Promise.allSettled(data.map((f) => f.flush()));
    const staged = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    let failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    const ends = staged.flatMap((s) => s.ends ?? []);
    if (!failed && commitPoint && writeCommit && (files.has(commitPoint) || ends.length > 0)) {
      // Only once the other files are written and synced does the marker that commits them go out.
      const point = await writeCommit(ends).then((s) => ({ s }), (reason: unknown) => ({ reason }));
      if ('s' in point) staged.push(point.s);
      else failed = { status: 'rejected', reason: point.reason };
    }
    if (failed) {
      // A refused commit leaves nothing behind, not even in the files that took their part.
      await Promise.allSettled(staged.map((s) => s.undo()));
      for (const f of files) dirty.add(f);
      if (commitPoint && ends.length > 0) dirty.add(commitPoint);
      writable = false;
      throw new StoreUnavailableError(failed.reason);
    }
    for (const s of staged) await s.apply();
    writable = true;
    onFlush();
  }

  async function run(): Promise<void> {
    scheduled = false;
    const batch = waiters;
    const files = dirty;
    waiters = [];
    dirty = new Set();
    try {
      await flushAll(files);
      for (const w of batch) w.resolve();
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }

  function schedule(): void {
    if (running || scheduled) return;
    scheduled = true;
    // setImmediate lets every request already parsed in this turn join the batch.
    setImmediate(() => {
      running = run().finally(() => {
        running = null;
        if (waiters.length > 0) schedule();
      });
    });
  }

  return {
    get writable(): boolean {
      return writable;
    },
    markDirty(file: Flushable): void {
      dirty.add(file);
    },
    commit(): Promise<void> {
      if (closed) return Promise.reject(new StoreUnavailableError(new Error('the store is closed')));
      return new Promise<void>((resolve, reject) => {
        waiters.push({ resolve, reject });
        schedule();
      });
    },
    /**
     * Refuses new commits, waits for the flushes in flight, then tries once more to write what is
     * still dirty (a failure is returned, not retried: on a full disk it would never end).
     */
    async close(): Promise<unknown> {
      closed = true;
      while (running || scheduled) {
        await running;
        if (scheduled) await new Promise((r) => setImmediate(r));
      }
      if (dirty.size === 0) return undefined;
      const files = dirty;
      dirty = new Set();
      return flushAll(files).then(() => undefined, (err: unknown) => err);
    },
  };
}

export type GroupCommit = ReturnType<typeof createGroupCommit>;
