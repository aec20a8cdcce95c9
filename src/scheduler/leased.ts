import { createIdFactory } from '../ids.js';
import type { TimerRecord } from '../model.js';
import type { LeasedTimer, SharedTimers } from '../store/store.js';
import type { SchedulerOptions, TimerHandler } from './scheduler.js';

/** The in-memory scheduler's options, with `timers` as the queue schedules and cancels go to. */
export interface LeasedSchedulerOptions extends SchedulerOptions {
  shared: SharedTimers;
  /** The slowest the claim loop looks again when nothing wakes it (default 1 s). */
  pollMs?: number;
  /**
   * Timers due this soon are claimed ahead and fired from memory at their due time (default
   * 250 ms, capped at a fifth of the lease): a round trip per timer would make each one late.
   */
  lookaheadMs?: number;
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
  const lookaheadMs = Math.min(options.lookaheadMs ?? 250, shared.leaseMs / 5);
  const handlers = new Map<string, TimerHandler>();
  const nextId = createIdFactory();
  /** Claims held (running, or waiting for their due time), by revision: one id may have two. */
  const running = new Map<string, { id: string; work: Promise<void> }>();
  /** Revisions of claims this process canceled or rescheduled before they were due. */
  const dropped = new Set<string>();
  const drop = (id: string) => {
    for (const [revision, claim] of running) if (claim.id === id) dropped.add(revision);
  };
  let counts = { pending: 0, sendsWaiting: new Map<string, number>() };
  let state: 'stopped' | 'running' = 'stopped';
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let woken = false;
  /** The claim loop sleeps because every handler slot is taken: a finishing handler wakes it. */
  let starved = false;
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
        starved = room <= 0;
        if (room > 0) {
          const now = clock.now();
          // Ahead by the look-ahead for due times only: a lease counts until it has run out.
          const claimed = await shared.claimDue(now, now + lookaheadMs, Math.min(room, 128));
          for (const t of claimed) run(t);
          // A full batch: more may be due at once.
          if (claimed.length === Math.min(room, 128)) continue;
          const next = await shared.nextDue(lookaheadMs);
          // Something claimable now (a short batch): claim again at once. Otherwise not sooner
          // than half the look-ahead, so timers due one after another are claimed in batches
          // (each still ahead of its due time) rather than a claim and a look per timer.
          if (next !== undefined) waitMs = Math.min(pollMs, next <= clock.now() ? 0 : Math.max(next - clock.now(), lookaheadMs / 2));
        }
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'timers: claiming failed; trying again');
      }
      if (state === 'running') await sleep(waitMs);
    }
  }

  function run(t: LeasedTimer): void {
    const handler = handlers.get(t.kind);
    const work = (async () => {
      // Claimed ahead: held here (its lease renewed like a running one's) until it is due. One
      // this process cancels or reschedules meanwhile is let go; one another instance changes
      // still fires, and its handler finds the state it acts on moved on (as after a crash).
      // A loop: a timeout may end a millisecond before the clock reads its due time.
      while (t.due > clock.now()) {
        await new Promise<void>((resolve) => clock.setTimeout(() => resolve(), t.due - clock.now()));
        if (dropped.has(t.revision)) return;
      }
      options.onFire?.(t.kind, Math.max(0, clock.now() - t.due));
      if (!handler) {
        logger.error({ kind: t.kind, timer: t.id }, 'no handler for timer kind; dropped');
        return shared.complete(t);
      }
      try {
        await handler(t);
      } catch (err) {
        logger.error({ err, kind: t.kind, timer: t.id }, 'timer handler failed; will fire again');
        await shared.release(t, clock.now() + (options.retryAfterMs ?? 5000));
        // Due again sooner than the loop may look: it looks now.
        return poke();
      }
      await shared.complete(t);
    })()
      .catch((err: unknown) => logger.warn({ err: (err as Error).message, timer: t.id }, 'timers: completing failed; the lease runs out and it fires again'))
      .finally(() => {
        running.delete(t.revision);
        dropped.delete(t.revision);
        if (starved) poke();
      });
    running.set(t.revision, { id: t.id, work });
  }

  async function renew(): Promise<void> {
    const ids = [...new Set([...running.values()].map((c) => c.id))];
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
      drop(id);
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
      drop(id);
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
      await Promise.all([...running.values()].map((c) => c.work));
      await listener?.close();
    },
    /** Stored timers across every instance, as last counted (every 5 s). */
    get pending(): number {
      return counts.pending;
    },
    get running(): number {
      return running.size;
    },
    /** Stored `step-send` timers across every instance by provider, as last counted. */
    sendsWaiting(): Map<string, number> {
      return new Map(counts.sendsWaiting);
    },
    idle: () => Promise.all([...running.values()].map((c) => c.work)).then(() => undefined),
  };
}
