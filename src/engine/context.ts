import type { Clock } from '../clock.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { HistoryEntry, Message, MessageStatus } from '../model.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { Store } from '../store/store.js';
import type { RateLimiter } from './rate-limit.js';

/** What a step guard decides before a step sends (consent windows and suppression plug in here). */
export type GuardDecision = { action: 'send' } | { action: 'skip'; reason: string };

export type StepGuard = (message: Message, step: number, address: string) => GuardDecision | Promise<GuardDecision>;

/** The engine's collaborators, shared by its parts. */
export interface EngineContext {
  store: Store;
  scheduler: Scheduler;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  runtime: () => Runtime;
  guards: readonly StepGuard[];
  limiter: RateLimiter;
  /** Runs `fn` once every earlier change to the same message has finished, in any instance. */
  lock: <T>(messageId: string, fn: () => Promise<T>) => Promise<T>;
  /** Holds any other key (an idempotency key, an attempt key) the same way. */
  exclusive: <T>(key: string, fn: () => Promise<T>) => Promise<T>;
  /** Called after every message status change, before the commit that stores it. */
  onStatusChange: (message: Message, previous: MessageStatus) => void;
}

let lastMs = Number.NaN;
let lastIso = '';

/** The clock's time as ISO 8601; formatted once per millisecond, since history asks for it a lot. */
export function iso(ctx: EngineContext): string {
  const now = ctx.clock.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

export function record(ctx: EngineContext, m: Message, entry: Omit<HistoryEntry, 'at'>): void {
  m.history.push({ at: iso(ctx), ...entry });
  m.updatedAt = iso(ctx);
}

/** Moves a message to a new status, with its history entry and callback. */
export function transition(ctx: EngineContext, m: Message, status: MessageStatus, event: string, cause?: string): void {
  const previous = m.status;
  if (previous === status) return;
  m.status = status;
  record(ctx, m, { event, status, ...(cause ? { cause } : {}) });
  ctx.onStatusChange(m, previous);
}
