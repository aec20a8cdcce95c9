import type { Clock } from '../clock.js';
import { createIdFactory } from '../ids.js';
import type { Logger } from '../log/logger.js';
import type { TimerRecord } from '../model.js';
import type { KeyValue } from '../store/store.js';
import { timerRecord } from '../store/timer-record.js';
import { MinHeap } from './heap.js';
import { TimerTally } from './tally.js';

export type TimerHandler = (timer: TimerRecord) => Promise<void>;

export interface SchedulerOptions {
  timers: KeyValue<TimerRecord>;
  commit: () => Promise<void>;
  clock: Clock;
  logger: Logger;
  /** Called with how late (ms) each timer fired. */
  onFire?: (kind: string, lagMs: number) => void;
  /** How long to wait before firing again a timer whose handler threw. */
  retryAfterMs?: number;
  /**
   * Handlers running at once. After an outage every overdue timer is due together; they are
   * worked off this many at a time, in due order, instead of all at once.
   */
  maxConcurrent?: number;
}

// setTimeout cannot wait longer than this; a later timer is re-armed when this one fires.
const MAX_DELAY = 2 ** 31 - 1;

/**
 * Durable timers: records live in the store, a min-heap in memory, one armed `setTimeout`.
 * Claim → apply → complete: a fired timer stays stored (claimed in memory only) while its handler
 * runs and commits its effects; only then is it removed, and that removal is committed. A crash
 * anywhere before re-fires it on restart, so handlers must be idempotent (they check the state
 * they act on). A handler that reschedules its own id replaces the record, and the completion
 * leaves the new one alone.
 *
 * @example
 *   scheduler.register('step-timeout', async (t) => engine.onStepTimeout(t.payload));
 *   scheduler.schedule('step-timeout', clock.now() + 30_000, { message: id, step: 0 });
 */
export function createScheduler(options: SchedulerOptions) {
  const { timers, clock, logger } = options;
  const maxConcurrent = options.maxConcurrent ?? 512;
  const handlers = new Map<string, TimerHandler>();
  // The heap holds the stored records themselves (no per-timer copy); an entry counts while the
  // store still holds that very record, so a canceled or rescheduled timer's entry is dropped lazily.
  const heap = new MinHeap<TimerRecord>();
  const current = (timer: TimerRecord) => timers.get(timer.id) === timer;
  const nextId = createIdFactory();
  const inFlight = new Set<Promise<void>>();
  /** Ids whose handler is running: a claimed timer is not fired twice by this process. */
  const claimed = new Set<string>();
  const refire = new Set<string>();
  let armed: { handle: unknown; due: number } | undefined;
  let running = false;
  // The rate limiter's waiting sends, by provider (a gauge scraped every few seconds).
  const sendsWaiting = new TimerTally('step-send', 'provider');
  const setTimer = (timer: TimerRecord) => {
    if (sendsWaiting.counting) sendsWaiting.removed(timers.get(timer.id));
    timers.set(timer.id, timer);
    sendsWaiting.added(timer);
  };
  const deleteTimer = (id: string) => {
    if (sendsWaiting.counting) sendsWaiting.removed(timers.get(id));
    timers.delete(id);
  };

  function arm(): void {
    if (!running) return;
    let top = heap.peek();
    while (top && !current(top)) {
      heap.pop();
      top = heap.peek();
    }
    if (!top || inFlight.size >= maxConcurrent) {
      // A full house re-arms when a handler finishes.
      if (armed) clock.clearTimeout(armed.handle);
      armed = undefined;
      return;
    }
    // An armed timeout for an earlier due is enough, unless the clock jumped past both (then fire now).
    if (armed && armed.due <= top.due && top.due > clock.now()) return;
    if (armed) clock.clearTimeout(armed.handle);
    const delay = Math.min(Math.max(0, top.due - clock.now()), MAX_DELAY);
    armed = { due: top.due, handle: clock.setTimeout(fire, delay) };
  }

  function fire(): void {
    armed = undefined;
    const now = clock.now();
    for (let top = heap.peek(); top && top.due <= now && inFlight.size < maxConcurrent; top = heap.peek()) {
      const timer = top;
      heap.pop();
      if (!current(timer)) continue;
      if (claimed.has(timer.id)) {
        // Rescheduled while its handler still runs: fire it once that one completes.
        refire.add(timer.id);
        continue;
      }
      run(timer, now);
    }
    arm();
  }

  function run(timer: TimerRecord, now: number): void {
    const handler = handlers.get(timer.kind);
    options.onFire?.(timer.kind, Math.max(0, now - timer.due));
    if (!handler) {
      logger.error({ kind: timer.kind, timer: timer.id }, 'no handler for timer kind; dropped');
      deleteTimer(timer.id);
      return;
    }
    claimed.add(timer.id);
    const p = handler(timer)
      .then(() => complete(timer))
      .catch((err: unknown) => {
        logger.error({ err, kind: timer.kind, timer: timer.id }, 'timer handler failed; will fire again');
        // Not a spread: a compact record keeps its payload behind a getter, which a spread drops.
        if (current(timer)) put(timerRecord(timer.id, timer.kind, clock.now() + (options.retryAfterMs ?? 5000), timer.payload));
        return options.commit();
      })
      .catch(() => undefined)
      .finally(() => {
        claimed.delete(timer.id);
        const again = refire.delete(timer.id) ? timers.get(timer.id) : undefined;
        if (again) heap.push(again);
        inFlight.delete(p);
        arm();
      });
    inFlight.add(p);
  }

  /** The handler's effects are committed: now the timer may go, unless it was rescheduled. */
  async function complete(timer: TimerRecord): Promise<void> {
    if (!current(timer)) return;
    deleteTimer(timer.id);
    await options.commit();
  }

  function put(timer: TimerRecord): void {
    setTimer(timer);
    heap.push(timer);
    arm();
  }

  return {
    register(kind: string, handler: TimerHandler): void {
      handlers.set(kind, handler);
    },
    /** Stores a timer (durable at the caller's next commit) and arms it. */
    schedule(kind: string, due: number, payload: TimerRecord['payload'], id: string = nextId()): TimerRecord {
      const timer = timerRecord(id, kind, due, payload);
      put(timer);
      return timer;
    },
    /**
     * Stores a timer without arming it: for work that must not start before the commit holding
     * it has succeeded (then `arm` it); if the commit fails, `cancel` it.
     */
    stage(kind: string, due: number, payload: TimerRecord['payload'], id: string = nextId()): TimerRecord {
      const timer = timerRecord(id, kind, due, payload);
      setTimer(timer);
      return timer;
    },
    /** Arms a staged timer (a no-op if it was canceled meanwhile). */
    arm(timer: TimerRecord): void {
      if (!current(timer)) return;
      heap.push(timer);
      arm();
    },
    cancel(id: string): void {
      deleteTimer(id);
    },
    get(id: string): TimerRecord | undefined {
      return timers.get(id);
    },
    /** Loads the stored timers (claimed ones of a previous life included); overdue ones fire in due order. */
    start(): void {
      running = true;
      for (const t of timers.values()) heap.push(t);
      arm();
    },
    async stop(): Promise<void> {
      running = false;
      if (armed) clock.clearTimeout(armed.handle);
      armed = undefined;
      await Promise.all([...inFlight]);
    },
    get pending(): number {
      return timers.size;
    },
    /** Timers whose handler is running now. */
    get running(): number {
      return inFlight.size;
    },
    /** Stored `step-send` timers (the rate limiter's waiting sends) by provider. */
    sendsWaiting(): Map<string, number> {
      return sendsWaiting.read(() => timers.values());
    },
    /** Resolves when the handlers already running have finished (for tests and shutdown). */
    idle: () => Promise.all([...inFlight]).then(() => undefined),
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
