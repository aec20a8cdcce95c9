import { AsyncLocalStorage } from 'node:async_hooks';
import type { Clock } from '../clock.js';
import type { RouteConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { HistoryEntry, Message, MessageStatus, StepHold, StepState } from '../model.js';
import type { Channel, ProviderSignal, ResolvedContent } from '../plugin-api.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { CommitHooks } from '../store/commit-hooks.js';
import type { Store } from '../store/store.js';
import type { Answers } from './answers.js';
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

export type StepGuard = ((message: Message, step: number, address: string) => GuardDecision | Promise<GuardDecision>) & {
  /**
   * Whether the guard may change stored state while deciding for a message of this plan (a
   * consent hold lists itself). Such a message starts routing only after its accept's commit; any
   * other routes within it. A guard that does not say is taken to change state.
   */
  storesFor?: (plan: RouteConfig) => boolean;
};

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
  /** Provider answers being applied in this process: a receipt for one waits for it. */
  answers: Answers;
  /** Runs `fn` once every earlier change to the same message has finished, in any instance. */
  lock: <T>(messageId: string, fn: () => Promise<T>) => Promise<T>;
  /** Holds any other key (an idempotency key, an inbound event's id) the same way. */
  exclusive: <T>(key: string, fn: () => Promise<T>) => Promise<T>;
  /**
   * Runs `task` once the hold of `messageId` is let go (at once when none is held); the holder's
   * caller still waits for it. Provider calls go through here: no lock is held across one.
   */
  defer: (messageId: string, task: () => Promise<void>, drop?: () => void) => Promise<void>;
  /**
   * Runs `fn` for a message being created, before anyone else can know its id: held in this
   * process only. `fn` routes it and commits; what it deferred starts once `fn` resolved.
   */
  create: <T>(messageId: string, fn: (hooks: CreateHooks) => Promise<T>) => Promise<T>;
  /** The hooks of a message `create` is routing now; undefined for any other message. */
  creating: (messageId: string) => CommitHooks | undefined;
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
  const at = iso(ctx);
  m.history.push({ at, ...entry });
  m.updatedAt = at;
}

/** Moves a message to a new status, with its history entry and callback. */
export function transition(ctx: EngineContext, m: Message, status: MessageStatus, event: string, cause?: string): void {
  const previous = m.status;
  if (previous === status) return;
  m.status = status;
  record(ctx, m, { event, status, ...(cause ? { cause } : {}) });
  ctx.onStatusChange(m, previous);
}

// The context modules load in: no store's hold is current there.
const outsideAnyHold = AsyncLocalStorage.snapshot();

/** What `create` gives the work it runs: {@link CommitHooks}, and `undo` to run the refused ones now. */
export interface CreateHooks extends CommitHooks {
  /** Undoes what was registered so far (routing failed, or the commit was refused) and drops the deferred work. */
  undo(): void;
}

/** A hold's deferred work; a message being created also has its commit's hooks. */
interface Hold {
  tasks: Array<() => Promise<void>>;
  drops: Array<() => void>;
  hooks?: CreateHooks;
}

/**
 * The engine's per-message lock with deferred work: `lock(id, fn)` holds the message through
 * `exclusive`, and what `fn` deferred for that message (`defer(id, task)`) runs after the hold
 * ends (its caller waits for that too). Holds of one message never overlap, so the work waiting
 * is kept per message id: an AsyncLocalStorage would do the same, but on Node 20 it turns on a
 * hook for every promise the process makes (about 6 % of an accept's CPU in a profile).
 * `create(id, fn)` holds a new message in this process only (`local`), since no other instance
 * can know its id before its commit.
 *
 * @example const { lock, defer, create, creating } = createMessageLock(exclusive, keyed, onError);
 */
export function createMessageLock(exclusive: EngineContext['exclusive'], local: EngineContext['exclusive'], onError: (err: unknown, messageId: string) => void) {
  const waiting = new Map<string, Hold>();
  async function held<T>(hold: Hold, messageId: string, through: EngineContext['exclusive'], fn: () => Promise<T>): Promise<T> {
    return through(`message:${messageId}`, async () => {
      waiting.set(messageId, hold);
      try {
        return await fn();
      } finally {
        waiting.delete(messageId);
      }
    });
  }
  return {
    async lock<T>(messageId: string, fn: () => Promise<T>): Promise<T> {
      const hold: Hold = { tasks: [], drops: [] };
      try {
        return await held(hold, messageId, exclusive, fn);
      } finally {
        // A task deferred here follows a committed claim (a provider call): it runs even when
        // something later in the hold failed.
        await Promise.all(hold.tasks.map((task) => task()));
      }
    },
    async create<T>(messageId: string, fn: (hooks: CreateHooks) => Promise<T>): Promise<T> {
      let committed: Array<() => void> = [];
      let refused: Array<() => void> = [];
      const hold: Hold = { tasks: [], drops: [] };
      const hooks: CreateHooks = {
        committed: (f) => void committed.push(f),
        refused: (f) => void refused.push(f),
        undo() {
          const undos = [...hold.drops, ...refused].reverse();
          hold.tasks = [];
          hold.drops = [];
          committed = [];
          refused = [];
          for (const u of undos) u();
        },
      };
      hold.hooks = hooks;
      let result: T;
      try {
        result = await held(hold, messageId, local, () => fn(hooks));
      } catch (err) {
        hooks.undo();
        throw err;
      }
      for (const f of committed) f();
      // The provider calls run on their own: the accept answers once its commit holds the message.
      // They outlive any hold the accept ran in (an idempotency key's), so they must not run in it:
      // a shared store would take their message's lock on that hold's session after it was let go.
      for (const task of hold.tasks) outsideAnyHold(() => task().catch((err: unknown) => onError(err, messageId)));
      return result;
    },
    creating: (messageId: string): CommitHooks | undefined => waiting.get(messageId)?.hooks,
    /** Runs `task` once the hold of `messageId` ends, or now when nobody holds it; `drop` if the hold's commit is refused instead. */
    defer(messageId: string, task: () => Promise<void>, drop?: () => void): Promise<void> {
      const hold = waiting.get(messageId);
      if (!hold) return task();
      hold.tasks.push(task);
      if (drop) hold.drops.push(drop);
      return Promise.resolve();
    },
  };
}
