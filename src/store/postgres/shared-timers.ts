import type pg from 'pg';
import type { LeasedTimer, SharedTimers } from '../store.js';
import { createTimerLeases, type ClaimedTimer } from './timer-leases.js';

const RELEASE = 'UPDATE timers SET due = $4::bigint, lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2 AND revision = $3';

/**
 * The store's side of the leased scheduler: `timer-leases.ts` bound to this instance's owner id
 * and lease length.
 *
 * @example const shared = createSharedTimers(pool, { owner: liveness.owner, leaseMs: 15_000 });
 */
export function createSharedTimers(pool: pg.Pool, options: { owner: string; leaseMs: number; localWakes: Set<() => void> }): SharedTimers {
  const leases = createTimerLeases(pool);
  const { owner, leaseMs } = options;
  return {
    owner,
    leaseMs,
    claimDue: (now, limit) => leases.claimDue({ owner, now, limit, leaseMs }),
    renew: (ids, now) => leases.renew({ owner, ids, now, leaseMs }),
    complete: async (timer: LeasedTimer) => {
      await leases.complete(owner, timer as ClaimedTimer);
    },
    release: async (timer, due) => {
      await pool.query(RELEASE, [timer.id, owner, timer.revision, due]);
    },
    nextDue: () => leases.nextDue(),
    // Other instances' new timers arrive by NOTIFY, this process's own as soon as they are committed.
    listen(onWake) {
      options.localWakes.add(onWake);
      const listener = leases.listen({ onWake: () => onWake() });
      return {
        ready: listener.ready,
        async close() {
          options.localWakes.delete(onWake);
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
