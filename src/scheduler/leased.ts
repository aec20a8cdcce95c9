import type { Clock } from '../clock.js';
import { createIdFactory } from '../ids.js';
import type { Logger } from '../log/logger.js';
import type { TimerRecord } from '../model.js';
import type { KeyValue, LeasedTimer, SharedTimers } from '../store/store.js';
import type { TimerHandler } from './scheduler.js';

export interface LeasedSchedulerOptions {
  /** Where schedules and cancels are queued: durable, and claimable, at the caller's next commit. */
  timers: KeyValue<TimerRecord>;
  shared: SharedTimers;
  commit: () => Promise<void>;
  clock: Clock;
  logger: Logger;
  onFire?: (kind: string, lagMs: number) => void;
  retryAfterMs?: number;
  maxConcurrent?: number;
  /** The slowest the claim loop looks again when nothing wakes it (default 1 s). */
  pollMs?: number;
}

/**
 * The scheduler's API over timers several instances share: each due timer is claimed by one
 * instance with a lease (renewed while its handler runs), then completed after the handler's
 * commit — claim → apply → complete, as in memory, with the claim in the database. A dead
 * instance's claims are taken over once their lease runs out; its handlers' own checks (step and
 * attempt states) keep a second run from sending twice.
 *
 * @example
 *   const scheduler = createLeasedScheduler({ timers: store.timers, shared: store.sharedTimers!, commit, clock, logger });
 */
export function createLeasedScheduler(options: LeasedSchedulerOptions) {
  const { timers, shared, clock, logger } = options;
  const maxConcurrent = options.maxConcurrent ?? 512;
  const pollMs = options.pollMs ?? 1000;
  const handlers = new Map<string, TimerHandler>();
  const nextId = createIdFactory();
  const running = new Map<string, Promise<void>>();
  let counts = { pending: 0, sendsWaiting: new Map<string, number>() };
  let state: 'stopped' | 'running' = 'stopped';
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let woken = false;
  let listener: ReturnType<SharedTimers['listen']> | undefined;
  let renewer: unknown;
  let counter: unknown;

  function poke(): void {
    woken = true;
    wake?.();
  }

  /** Waits until poked, or `ms` passed. */
  function sleep(ms: number): Promise<void> {
    if (woken) return Promise.resolve();
    return new Promise((resolve) => {
      const handle = clock.setTimeout(() => done(), ms);
      const done = () => {
        clock.clearTimeout(handle);
        wake = undefined;
        resolve();
      };
      wake = done;
    });
  }

  async function claimLoop(): Promise<void> {
    while (state === 'running') {
      woken = false;
      let waitMs = pollMs;
      try {
        const room = maxConcurrent - running.size;
        if (room > 0) {
          const claimed = await shared.claimDue(clock.now(), Math.min(room, 128));
          for (const t of claimed) run(t);
          // A full batch: more may be due at once.
          if (claimed.length === Math.min(room, 128)) continue;
          const next = await shared.nextDue();
          if (next !== undefined) waitMs = Math.min(pollMs, Math.max(0, next - clock.now()));
        }
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'timers: claiming failed; trying again');
      }
      if (state === 'running') await sleep(waitMs);
    }
  }

  function run(t: LeasedTimer): void {
    const handler = handlers.get(t.kind);
    options.onFire?.(t.kind, Math.max(0, clock.now() - t.due));
    const work = (async () => {
      if (!handler) {
        logger.error({ kind: t.kind, timer: t.id }, 'no handler for timer kind; dropped');
        return shared.complete(t);
      }
      try {
        await handler(t);
      } catch (err) {
        logger.error({ err, kind: t.kind, timer: t.id }, 'timer handler failed; will fire again');
        return shared.release(t, clock.now() + (options.retryAfterMs ?? 5000));
      }
      await shared.complete(t);
    })()
      .catch((err: unknown) => logger.warn({ err: (err as Error).message, timer: t.id }, 'timers: completing failed; the lease runs out and it fires again'))
      .finally(() => {
        running.delete(t.id);
        poke();
      });
    running.set(t.id, work);
  }

  async function renew(): Promise<void> {
    const ids = [...running.keys()];
    if (ids.length > 0) await shared.renew(ids, clock.now()).catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'timers: renewing leases failed'));
  }

  async function refreshCounts(): Promise<void> {
    counts = await shared.counts().catch(() => counts);
  }

  function put(kind: string, due: number, payload: TimerRecord['payload'], id: string): TimerRecord {
    const timer: TimerRecord = { id, kind, due, payload };
    timers.set(id, timer);
    return timer;
  }

  return {
    register(kind: string, handler: TimerHandler): void {
      handlers.set(kind, handler);
    },
    /** Queues a timer (claimable by any instance once the caller's commit holds it). */
    schedule(kind: string, due: number, payload: TimerRecord['payload'], id: string = nextId()): TimerRecord {
      // The commit holding it notifies every listener, this one's too.
      return put(kind, due, payload, id);
    },
    stage(kind: string, due: number, payload: TimerRecord['payload'], id: string = nextId()): TimerRecord {
      return put(kind, due, payload, id);
    },
    /** The staged timer is committed: look for it now rather than at the next poll. */
    arm(_timer: TimerRecord): void {
      poke();
    },
    cancel(id: string): void {
      timers.delete(id);
    },
    /** This process's uncommitted view only: a shared timer lives in the database. */
    get(id: string): TimerRecord | undefined {
      return timers.get(id);
    },
    start(): void {
      if (state === 'running') return;
      state = 'running';
      listener = shared.listen(poke);
      renewer = setInterval(() => void renew(), Math.max(50, shared.leaseMs / 3));
      counter = setInterval(() => void refreshCounts(), 5000);
      void refreshCounts();
      // A listener still connecting must not hold timers back: the poll covers until it is up.
      loop = Promise.race([listener.ready, new Promise((resolve) => setTimeout(resolve, 2000))]).then(claimLoop);
    },
    async stop(): Promise<void> {
      state = 'stopped';
      wake?.();
      clearInterval(renewer as NodeJS.Timeout);
      clearInterval(counter as NodeJS.Timeout);
      await loop;
      await Promise.all([...running.values()]);
      await listener?.close();
    },
    /** Stored timers across every instance, as last counted (every 5 s). */
    get pending(): number {
      return counts.pending;
    },
    get running(): number {
      return running.size;
    },
    countBy(kind: string, field: string): Map<string, number> {
      return kind === 'step-send' && field === 'provider' ? new Map(counts.sendsWaiting) : new Map();
    },
    idle: () => Promise.all([...running.values()]).then(() => undefined),
  };
}
