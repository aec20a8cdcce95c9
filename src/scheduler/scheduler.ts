import type { Clock } from '../clock.js';
import { createIdFactory } from '../ids.js';
import type { Logger } from '../log/logger.js';
import type { TimerRecord } from '../model.js';
import type { KeyValue } from '../store/store.js';
import { MinHeap } from './heap.js';

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
}

// setTimeout cannot wait longer than this; a later timer is re-armed when this one fires.
const MAX_DELAY = 2 ** 31 - 1;

/**
 * Durable timers: records live in the store, a min-heap in memory, one armed `setTimeout`.
 * A fired timer is removed in memory before its handler runs, so the handler's own commit makes
 * the removal and its effects durable together; a crash in between fires it again on restart.
 *
 * @example
 *   scheduler.register('step-timeout', async (t) => engine.onStepTimeout(t.payload));
 *   scheduler.schedule('step-timeout', clock.now() + 30_000, { message: id, step: 0 });
 */
export function createScheduler(options: SchedulerOptions) {
  const { timers, clock, logger } = options;
  const handlers = new Map<string, TimerHandler>();
  const heap = new MinHeap();
  const nextId = createIdFactory();
  const inFlight = new Set<Promise<void>>();
  let armed: { handle: unknown; due: number } | undefined;
  let running = false;

  function arm(): void {
    if (!running) return;
    let top = heap.peek();
    // Lazy deletion: drop heap entries whose record was canceled or rescheduled.
    while (top && timers.get(top.id)?.due !== top.due) {
      heap.pop();
      top = heap.peek();
    }
    if (!top) {
      if (armed) clock.clearTimeout(armed.handle);
      armed = undefined;
      return;
    }
    if (armed && armed.due <= top.due) return;
    if (armed) clock.clearTimeout(armed.handle);
    const delay = Math.min(Math.max(0, top.due - clock.now()), MAX_DELAY);
    armed = { due: top.due, handle: clock.setTimeout(fire, delay) };
  }

  function fire(): void {
    armed = undefined;
    const now = clock.now();
    for (let top = heap.peek(); top && top.due <= now; top = heap.peek()) {
      heap.pop();
      const timer = timers.get(top.id);
      if (!timer || timer.due !== top.due) continue;
      timers.delete(timer.id);
      run(timer, now);
    }
    arm();
  }

  function run(timer: TimerRecord, now: number): void {
    const handler = handlers.get(timer.kind);
    options.onFire?.(timer.kind, Math.max(0, now - timer.due));
    if (!handler) {
      logger.error({ kind: timer.kind, timer: timer.id }, 'no handler for timer kind; dropped');
      return;
    }
    const p = handler(timer).catch((err: unknown) => {
      logger.error({ err, kind: timer.kind, timer: timer.id }, 'timer handler failed; will fire again');
      put({ ...timer, due: clock.now() + (options.retryAfterMs ?? 5000) });
      return options.commit();
    }).catch(() => undefined);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  function put(timer: TimerRecord): void {
    timers.set(timer.id, timer);
    heap.push({ due: timer.due, id: timer.id });
    arm();
  }

  return {
    register(kind: string, handler: TimerHandler): void {
      handlers.set(kind, handler);
    },
    /** Stores a timer (durable at the caller's next commit) and arms it. */
    schedule(kind: string, due: number, payload: TimerRecord['payload'], id: string = nextId()): TimerRecord {
      const timer: TimerRecord = { id, kind, due, payload };
      put(timer);
      return timer;
    },
    cancel(id: string): void {
      timers.delete(id);
    },
    get(id: string): TimerRecord | undefined {
      return timers.get(id);
    },
    /** Loads the stored timers; overdue ones fire at once, in due order. */
    start(): void {
      running = true;
      for (const t of timers.values()) heap.push({ due: t.due, id: t.id });
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
    /** Resolves when the handlers already running have finished (for tests and shutdown). */
    idle: () => Promise.all([...inFlight]).then(() => undefined),
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
