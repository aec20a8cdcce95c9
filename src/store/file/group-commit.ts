import { StoreUnavailableError } from '../../errors.js';

/**
 * Where a file of a commit ends once the commit is written (`<collection>/<hour>` → bytes), for
 * the commit marker; with `start` and `crc`, the bytes this commit appends there and their CRC-32,
 * so an open can tell whether they all reached the disk.
 */
export type CommitEnd = readonly [file: string, end: number, start?: number, crc?: number];

/** A flush that is on disk but counts only once every file of its commit is. */
export interface Staged {
  /** Where each file this flush appended to now ends, for the commit marker. */
  ends?: readonly CommitEnd[];
  /** Every file of the commit is written: mark its changes written. */
  apply(): void | Promise<void>;
  /** Another file failed: cut this one's bytes again, keeping its changes pending. */
  undo(): Promise<void>;
}

/** A flush taken in two halves: what it will write and where, then the write. */
export interface Prepared {
  /** Where each file will end, with the CRC-32 of what this commit appends there. */
  ends: readonly CommitEnd[];
  write(): Promise<Staged>;
}

/** Something that writes its pending changes in one go, keeping them when the write fails. */
export interface Flushable {
  flush(): Promise<Staged>;
  /**
   * Takes the pending changes (in the same tick as the commit point takes its own) and says where
   * they will go before writing any: a file that can is written beside the commit record instead
   * of before it.
   */
  prepare?(): Promise<Prepared>;
}

/**
 * The file whose write makes a commit durable (the hot-state journal): its marker names where the
 * other files of the commit end and what they append, and opening cuts their bytes past the marked
 * ends. The files of a commit are written at the same time as its marker (one trip to the disk,
 * not two): a crash can then leave the last marker on disk without all of their bytes, which the
 * open sees by their CRC-32 and cuts as a commit that never happened. It was never acknowledged.
 */
export interface CommitPoint extends Flushable {
  /**
   * Takes the changes queued now (in the same tick as the other files take theirs, so a change
   * made while they write belongs to the next commit in every file) and returns the writer of
   * the commit record: those changes and a marker naming where the other files end.
   */
  beginCommit(): (ends: readonly CommitEnd[]) => Promise<Staged>;
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

  // A file without `prepare` is written first, and its bytes are on disk before the marker goes out.
  const prepare = async (f: Flushable): Promise<Prepared & { written?: Staged }> => {
    if (f.prepare) return f.prepare();
    const written = await f.flush();
    return { ends: written.ends ?? [], written, write: async () => written };
  };

  async function flushAll(files: Set<Flushable>): Promise<void> {
    const data = [...files].filter((f) => f !== commitPoint);
    const writeCommit = commitPoint?.beginCommit();
    // allSettled: the next flush must not start while a file of this one is still writing.
    const ready = await Promise.allSettled(data.map(prepare));
    const prepared = ready.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    let failed = ready.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    const ends = prepared.flatMap((p) => p.ends);
    const writes = failed ? [] : prepared.map((p) => p.write());
    if (!failed && commitPoint && writeCommit && (files.has(commitPoint) || ends.length > 0)) writes.push(writeCommit(ends));
    const results = await Promise.allSettled(writes);
    // After a failed prepare nothing else is written; what a file without `prepare` wrote is undone.
    const staged = failed ? prepared.flatMap((p) => (p.written ? [p.written] : [])) : results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    failed ??= results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
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

  function commit(): Promise<void> {
    if (closed) return Promise.reject(new StoreUnavailableError(new Error('the store is closed')));
    return new Promise<void>((resolve, reject) => {
      waiters.push({ resolve, reject });
      schedule();
    });
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
    /**
     * A commit that writes a marker even when nothing changed: once it resolves, the last marker on
     * disk names no file that had nothing pending, whose bytes may then be rewritten in place (an
     * hour's compaction).
     */
    barrier(): Promise<void> {
      if (commitPoint) dirty.add(commitPoint);
      return commit();
    },
    commit,
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
