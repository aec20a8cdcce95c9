import type { Queryable } from './pool.js';
import { completeTimers } from './timer-leases.js';

/** One claim of a fired timer, to be removed only if it is still that claim. */
export interface Completion {
  id: string;
  owner: string;
  revision: string;
}

/** The completions one commit takes; `written()` once its transaction committed. */
export interface CompletionBatch {
  /** `except`: timers the same commit rewrites or deletes, whose claims are gone with it anyway. */
  write(tx: Queryable, except?: ReadonlySet<string>): Promise<void>;
  written(): void;
  readonly size: number;
}

/**
 * Fired timers whose handlers' effects are committed, waiting to be removed by the store's next
 * commit: one `DELETE … USING unnest(…)` in that transaction for all of them, instead of a
 * statement (and a transaction) per timer. A failed commit keeps them queued; one whose lease was
 * taken over or that was rescheduled meanwhile matches nothing when it is finally written.
 *
 * @example
 *   const completions = createTimerCompletions(() => gc.markDirty(database));
 *   completions.add({ id, owner, revision }); await gc.commit();
 */
export function createTimerCompletions(onQueued: () => void) {
  const queue = new Set<Completion>();
  return {
    add(completion: Completion): void {
      queue.add(completion);
      onQueued();
    },
    get size(): number {
      return queue.size;
    },
    /** The completions queued now; ones added while they are written wait for the next commit. */
    take(): CompletionBatch {
      const batch = [...queue];
      return {
        size: batch.length,
        write: async (tx, except) => {
          await completeTimers(tx, except && except.size > 0 ? batch.filter((c) => !except.has(c.id)) : batch);
        },
        written: () => {
          for (const c of batch) queue.delete(c);
        },
      };
    },
  };
}

export type TimerCompletions = ReturnType<typeof createTimerCompletions>;
