import cron from 'node-cron';
import type { Clock } from '../clock.js';
import { parseDuration } from '../config/duration.js';
import type { Logger } from '../log/logger.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Store } from '../store/store.js';

/** The part of a node-cron task this module uses; tests pass their own `schedule`. */
export interface CronTask {
  stop(): void | Promise<void>;
  destroy(): void | Promise<void>;
}
export type CronSchedule = (expression: string, run: () => void) => CronTask;

export interface MaintenanceDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  runtime: () => Runtime;
  schedule?: CronSchedule;
}

const cronSchedule: CronSchedule = (expression, run) => cron.schedule(expression, run);

/**
 * The retention job on `store.maintenance`. Schedule and retention are read from the runtime, so a
 * reload applies both: `apply()` re-schedules when the expression changed.
 *
 * @example
 *   const maintenance = createMaintenance({ store, clock, logger, runtime: current });
 *   maintenance.start(); config.onApplied(() => maintenance.apply()); … maintenance.stop();
 */
export function createMaintenance(deps: MaintenanceDeps) {
  const schedule = deps.schedule ?? cronSchedule;
  let task: CronTask | undefined;
  let expression: string | undefined;

  /** Deletes old partitions, except those that live state (timers, idempotency keys, callbacks) still names. */
  async function run(): Promise<void> {
    const retentionMs = parseDuration(deps.runtime().loaded.config.store.retention) ?? 0;
    const now = deps.clock.now();
    try {
      const result = await deps.store.prune(now - retentionMs, now, liveIds(deps.store));
      deps.logger.info(result, 'retention: old partitions deleted');
    } catch (err) {
      deps.logger.error({ err }, 'retention failed');
    }
  }

  function arm(): void {
    expression = deps.runtime().loaded.config.store.maintenance;
    task = schedule(expression, () => void run());
  }

  return {
    run,
    start(): void {
      if (!task) arm();
    },
    /** After a reload: a changed schedule replaces the task; before `start()` (or after `stop()`) nothing runs. */
    apply(): void {
      if (!task || deps.runtime().loaded.config.store.maintenance === expression) return;
      const previous = expression;
      void task.destroy();
      arm();
      deps.logger.info({ from: previous, to: expression }, 'maintenance re-scheduled');
    },
    stop(): void {
      void task?.destroy();
      task = undefined;
    },
  };
}

/** Message ids that pending timers, idempotency keys and queued callbacks point to. */
export function liveIds(store: Store): Set<string> {
  const ids = new Set<string>();
  for (const t of store.timers.values()) if (typeof t.payload.message === 'string') ids.add(t.payload.message);
  for (const r of store.idempotency.values()) ids.add(r.messageId);
  for (const job of store.outbox.values()) ids.add(job.messageId);
  return ids;
}
