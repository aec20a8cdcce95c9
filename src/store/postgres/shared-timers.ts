import type pg from 'pg';
import type { LeasedTimer, SharedTimers } from '../store.js';
import type { TimerCompletions } from './timer-completions.js';
import { createTimerLeases } from './timer-leases.js';

const RELEASE = 'UPDATE timers SET due = $4::bigint, lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2 AND revision = $3';

export interface SharedTimersOptions {
  owner: string;
  leaseMs: number;
  /** Called by the store after each commit that wrote timers, with the earliest due time written. */
  localWakes: Set<(earliestDue: number) => void>;
  /** Where `complete` queues a fired timer's removal for the store's next commit. */
  completions: TimerCompletions;
  /** The store's commit (the group commit that writes `completions`). */
  commit: () => Promise<void>;
}

/**
 * The store's side of the leased scheduler: `timer-leases.ts` bound to this instance's owner id
 * and lease length. A fired timer's removal rides on the store's group commit, so many handlers
 * finishing together cost one statement in a transaction that runs anyway.
 *
 * @example const shared = createSharedTimers(pool, { owner: liveness.owner, leaseMs: 15_000, localWakes, completions, commit });
 */
export function createSharedTimers(pool: pg.Pool, options: SharedTimersOptions): SharedTimers {
  const leases = createTimerLeases(pool);
  const { owner, leaseMs } = options;
  /** What `nextDue` last answered (when anything becomes claimable, ms), and how many are on their way. */
  let told: { at: number | undefined; lookaheadMs: number } | undefined;
  let asking = 0;
  return {
    owner,
    leaseMs,
    claimDue: (now, dueBy, limit) => leases.claimDue({ owner, now, dueBy, limit, leaseMs }),
    renew: (ids, now) => leases.renew({ owner, ids, now, leaseMs }),
    // Called once the handler's effects are committed: its removal may follow in a later commit.
    complete: (timer: LeasedTimer) => {
      options.completions.add({ id: timer.id, owner, revision: timer.revision });
      return options.commit();
    },
    release: async (timer, due) => {
      await pool.query(RELEASE, [timer.id, owner, timer.revision, due]);
    },
    async nextDue(lookaheadMs) {
      asking += 1;
      try {
        const at = await leases.nextDue(lookaheadMs);
        told = { at, lookaheadMs };
        return at;
      } finally {
        asking -= 1;
      }
    },
    // Other instances' new timers arrive by NOTIFY, this process's own as soon as they are committed.
    listen(onWake) {
      // The scheduler looks again by the time `nextDue` last told it: a timer written for later
      // than that is found then, and waking it for each (a handler scheduling its next step's
      // timer, say; this instance's own NOTIFY) would cost a claim and a look for nothing. An
      // answer still on its way may not include the timer, so then it wakes.
      const local = (earliestDue: number) => {
        if (asking > 0 || told?.at === undefined || earliestDue - told.lookaheadMs < told.at) onWake();
      };
      options.localWakes.add(local);
      // After a reconnect (no due time) notifications may have been missed: always a wake.
      const listener = leases.listen({ onWake: (due) => (due === undefined || Number.isNaN(due) ? onWake() : local(due)) });
      return {
        ready: listener.ready,
        async close() {
          options.localWakes.delete(local);
          await listener.close();
        },
      };
    },
    async counts() {
      const [{ rows: all }, { rows: sends }] = await Promise.all([
        pool.query<{ n: string }>('SELECT count(*) AS n FROM timers'),
        pool.query<{ provider: string; n: string }>("SELECT payload->>'provider' AS provider, count(*) AS n FROM timers WHERE kind = 'step-send' GROUP BY 1"),
      ]);
      return { pending: Number(all[0]?.n ?? 0), sendsWaiting: new Map(sends.map((r) => [r.provider, Number(r.n)])) };
    },
  };
}
