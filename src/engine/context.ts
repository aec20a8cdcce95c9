import type { Clock } from '../clock.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { HistoryEntry, Message, MessageStatus, StepHold, StepState } from '../model.js';
import type { Channel, ProviderSignal, ResolvedContent } from '../plugin-api.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { Store } from '../store/store.js';
import type { RateLimiter } from './rate-limit.js';

/**
 * What a step guard decides before a step sends (consent windows and suppression plug in here):
 * send, skip the step (the route goes on), or hold it until `hold.until` — sending `optIn` first,
 * as an attempt of the step, when given. A held step is resumed by `Engine.release`.
 */
export type GuardDecision =
  | { action: 'send' }
  | { action: 'skip'; reason: string }
  | { action: 'hold'; hold: StepHold; optIn?: ResolvedContent };

export type StepGuard = (message: Message, step: number, address: string) => GuardDecision | Promise<GuardDecision>;

/** Hears of a held step that ends other than by a release: its hold ran out, its opt-in failed, it was canceled. */
export type HoldEnded = (m: Message, step: number, hold: StepHold, state: StepState) => Promise<void>;

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
  /** Holds any other key (an idempotency key, an inbound event's id) the same way. */
  exclusive: <T>(key: string, fn: () => Promise<T>) => Promise<T>;
  /**
   * Runs `task` once the hold of `messageId` is let go (at once when none is held); the holder's
   * caller still waits for it. Provider calls go through here: no lock is held across one.
   */
  defer: (messageId: string, task: () => Promise<void>) => Promise<void>;
  /** Called after every message status change, before the commit that stores it. */
  onStatusChange: (message: Message, previous: MessageStatus) => void;
  /**
   * Called, holding the message's lock and before its commit, when a provider's error or receipt
   * carries a signal (a recipient who opted out at the provider, a closed WhatsApp window).
   */
  onSignal: (signal: ProviderSignal, about: { message: Message; channel: Channel; provider: string; to: string }) => void;
  /** Set by the consent policy (built after the engine); called before the step's timers change, since it may commit. */
  holdEnded?: HoldEnded;
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

/**
 * The engine's per-message lock with deferred work: `lock(id, fn)` holds the message through
 * `exclusive`, and what `fn` deferred for that message (`defer(id, task)`) runs after the hold
 * ends (its caller waits for that too). Holds of one message never overlap, so the work waiting
 * is kept per message id: an AsyncLocalStorage would do the same, but on Node 20 it turns on a
 * hook for every promise the process makes (about 6 % of an accept's CPU in a profile).
 *
 * @example const { lock, defer } = createMessageLock(exclusive);
 */
export function createMessageLock(exclusive: EngineContext['exclusive']) {
  const waiting = new Map<string, Array<() => Promise<void>>>();
  return {
    async lock<T>(messageId: string, fn: () => Promise<T>): Promise<T> {
      const after: Array<() => Promise<void>> = [];
      try {
        return await exclusive(`message:${messageId}`, async () => {
          waiting.set(messageId, after);
          try {
            return await fn();
          } finally {
            waiting.delete(messageId);
          }
        });
      } finally {
        // A task deferred here follows a committed claim (a provider call): it runs even when
        // something later in the hold failed.
        await Promise.all(after.map((task) => task()));
      }
    },
    /** Runs `task` once the hold of `messageId` ends, or now when nobody holds it. */
    defer(messageId: string, task: () => Promise<void>): Promise<void> {
      const after = waiting.get(messageId);
      if (!after) return task();
      after.push(task);
      return Promise.resolve();
    },
  };
}
