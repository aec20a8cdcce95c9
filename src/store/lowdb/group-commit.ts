/** Something that can write all of its current state in one go. */
export interface Flushable {
  flush(): Promise<void>;
}

/**
 * Coalesces commits: every `commit()` made while a flush runs joins the next flush, which writes
 * each dirty file once. A waiter resolves only after the flush that holds its changes finished.
 *
 * @example
 *   const gc = createGroupCommit();
 *   gc.markDirty(hotFile); await gc.commit();
 */
export function createGroupCommit(onFlush: () => void = () => {}) {
  let dirty = new Set<Flushable>();
  let waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  let running = false;
  let scheduled = false;

  async function run(): Promise<void> {
    scheduled = false;
    running = true;
    const batch = waiters;
    const files = dirty;
    waiters = [];
    dirty = new Set();
    try {
      await Promise.all([...files].map((f) => f.flush()));
      onFlush();
      for (const w of batch) w.resolve();
    } catch (err) {
      // What failed to write is still dirty: the next commit tries again.
      for (const f of files) dirty.add(f);
      for (const w of batch) w.reject(err);
    } finally {
      running = false;
      if (waiters.length > 0) schedule();
    }
  }

  function schedule(): void {
    if (running || scheduled) return;
    scheduled = true;
    // setImmediate lets every request already parsed in this turn join the batch.
    setImmediate(() => void run());
  }

  return {
    markDirty(file: Flushable): void {
      dirty.add(file);
    },
    commit(): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        waiters.push({ resolve, reject });
        schedule();
      });
    },
    /** Waits for whatever is in flight (used on shutdown). */
    async drain(): Promise<void> {
      while (running || scheduled || dirty.size > 0) {
        await new Promise<void>((resolve, reject) => {
          waiters.push({ resolve, reject });
          schedule();
        });
      }
    },
  };
}

export type GroupCommit = ReturnType<typeof createGroupCommit>;
