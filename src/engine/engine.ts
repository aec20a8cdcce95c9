import { hash } from 'node:crypto';
import { AppError, StoreUnavailableError } from '../errors.js';
import { FINAL_STATUSES, type Message, type MessageContent, type MessageStatus, type StepState, type TimerRecord } from '../model.js';
import type { RouteConfig } from '../config/types.js';
import type { Channel, StatusEvent } from '../plugin-api.js';
import { iso, record, transition, type EngineContext, type HoldEnded } from './context.js';
import { ingestStatus } from './receipts.js';
import { sendOnStep } from './send.js';
import { cancelStepTimers, endHold, endStep, expireHold, isSettled, releaseStep, startStep, timerId } from './steps.js';
import { addressFor } from './content.js';
import { draftMessage, planFor } from './draft.js';
import { createIdFactory } from '../ids.js';
import { toApiPage } from '../store/paging.js';
import { checkCallbackUrl } from '../callbacks/url-policy.js';
import { IDEMPOTENCY_TTL_MS } from '../config/ops-checks.js';

/** A validated `POST /v1/messages` body. */
export interface SendRequest {
  /** A route of `gateway.yaml` by name, or the message's own plan (`{mode, steps}`, checked like one). */
  route: string | InlineRoute;
  /** `sms`/`mms` may list up to 10 numbers: one group message, carried as a comma-separated address. */
  to: Partial<Record<Channel | 'phone', string | string[]>>;
  content: MessageContent;
  callbackUrl?: string;
  tags?: Record<string, string>;
  /** The recipient's language (`pt_BR`); it picks consent opt-in templates. */
  locale?: string;
  /** The business number or sender id to send from. */
  from?: string;
}

/** An inline plan as a caller wrote it: the shape of a `gateway.yaml` route, defaults not yet applied. */
export type InlineRoute = Record<string, unknown>;

/** A message the gateway sends on its own (a HELP answer, a late-reply notice): one provider, one channel. */
export interface NoticeRequest {
  /** What it is, shown as its route: `system:<kind>` (`system:help`, `system:late-reply`). */
  kind: string;
  channel: Channel;
  provider: string;
  to: string;
  text: string;
  /** The business number to answer from (the one the user wrote to). */
  from?: string;
}

// A notice is done once its provider took it: nobody waits on its receipts.
const NOTICE_WITHIN = '60s';

export interface ListFilter {
  status?: MessageStatus;
  route?: string;
  since?: number;
  cursor?: string;
  limit: number;
}

const messageId = createIdFactory();

/** JSON with sorted keys, so the same body hashes the same whatever its key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The message engine: accepts messages, runs their route plans step by step on durable timers,
 * applies receipts, cancels. Knows nothing of HTTP.
 *
 * @example
 *   const engine = createEngine(ctx);
 *   const { message } = await engine.accept({ route: 'default', to: { phone: '+15551234567' }, content: { text: 'hi' } });
 */
export function createEngine(ctx: EngineContext) {
  const { store, scheduler, clock } = ctx;

  async function load(id: string): Promise<Message | undefined> {
    return store.messages.get(id);
  }

  /** Moves an accepted message to routing and begins its first step (every step, in parallel mode). */
  async function route(m: Message): Promise<void> {
    transition(ctx, m, 'routing', 'routing', `${m.plan.mode} route ${m.route}`);
    if (m.plan.mode === 'fallback') await startStep(ctx, m, 0);
    else await Promise.all(m.plan.steps.map((_s, i) => startStep(ctx, m, i)));
  }

  /** Undoes what routing queued for a message whose accept is refused: its claims and its step timers. */
  function unroute(m: Message): void {
    for (const a of m.attempts) store.inflight.delete(a.id);
    for (const i of m.steps.keys()) cancelStepTimers(ctx, m, i);
  }

  // A guard that changes stored state (a consent hold) must not run before the message is stored.
  const routesInAccept = (plan: Message['plan']): boolean => ctx.guards.every((g) => g.storesFor?.(plan) === false);

  // Routing of a message whose guards change state starts from this timer, after its accept's commit.
  scheduler.register('start', (t) => ctx.lock(String(t.payload.message), async () => {
    const m = await load(String(t.payload.message));
    // A start whose handler failed before any step began (a guard could not read the store) runs again.
    const unstarted = m?.status === 'routing' && m.steps.every((s) => s.state === 'pending');
    if (!m || (m.status !== 'accepted' && !unstarted)) return store.commit();
    // One put once the steps began: a send's own claim puts it before its commit, and a crash
    // before any commit leaves it `accepted` with this timer still stored.
    await route(m);
    store.messages.put(m);
    await store.commit();
  }));

  /** Registers a handler for a step timer; it runs only if the step is still in `wanted` state. */
  function onStepTimer(kind: string, wanted: (state: StepState) => boolean, run: (m: Message, i: number, t: TimerRecord) => Promise<void>): void {
    scheduler.register(kind, (t) => ctx.lock(String(t.payload.message), async () => {
      const m = await load(String(t.payload.message));
      const i = Number(t.payload.step);
      const progress = m?.steps[i];
      if (!m || !progress || !wanted(progress.state)) return store.commit();
      await run(m, i, t);
      store.messages.put(m);
      await store.commit();
    }));
  }

  onStepTimer('step-timeout', (state) => !isSettled(state), async (m, i) => {
    const step = m.plan.steps[i];
    await endStep(ctx, m, i, 'timed_out', `no ${step.until} receipt within ${step.within}`);
  });

  onStepTimer('step-retry', (state) => state === 'waiting_retry', async (m, i) => {
    m.steps[i].state = 'active';
    record(ctx, m, { event: 'retry', step: i, cause: `retry ${m.steps[i].retries}` });
    await sendOnStep(ctx, m, i, addressFor(m.to, m.plan.steps[i].channel) ?? '');
  });

  onStepTimer('step-send', (state) => state === 'waiting_rate', async (m, i, t) => {
    m.steps[i].state = 'active';
    await sendOnStep(ctx, m, i, addressFor(m.to, m.plan.steps[i].channel) ?? '', t.payload.reserved === 1);
  });

  onStepTimer('step-hold', (state) => state === 'held', (m, i) => expireHold(ctx, m, i));

  /**
   * Stores a new message (and idempotency key) and resolves once committed. Routing begins within
   * that commit: the first send's claim, its step timer and callbacks are stored with the message,
   * and the provider is called once the commit holds them, so a crash after the 202 finds the send
   * `unknown` exactly as a crash after any claim would. A message whose guards change state, or
   * whose routing failed here, starts from a stored `start` timer instead.
   */
  function create(req: SendRequest, name: string, plan: Message['plan'], idem?: { key: string; idemKey: string; bodyHash: string }): Promise<{ message: Message; created: boolean }> {
    const id = messageId(clock.now());
    const draft = () => draftMessage(req, name, plan, id, iso(ctx), idem?.key);
    return ctx.create(id, async (hooks) => {
      // What routing queued for `m`, taken back: registered undos, claims and step timers.
      const takeBack = (m: Message) => {
        hooks.undo();
        unroute(m);
      };
      let m = draft();
      if (routesInAccept(plan)) {
        try {
          await route(m);
        } catch (err) {
          takeBack(m);
          ctx.logger.warn({ err, messageId: id }, 'routing within the accept failed; the message starts from a timer');
          m = draft();
        }
      }
      // Put once, routed: it throws for a record that cannot be stored, and what routing queued goes with it.
      try {
        store.messages.put(m);
      } catch (err) {
        takeBack(m);
        throw err;
      }
      if (idem) store.idempotency.set(idem.idemKey, { key: idem.idemKey, messageId: id, bodyHash: idem.bodyHash, expiresAt: clock.now() + IDEMPOTENCY_TTL_MS });
      // Armed only once stored, so a refused accept can never start sending.
      const start = m.status === 'accepted' ? scheduler.stage('start', clock.now(), { message: id }, `${id}.start`) : undefined;
      try {
        await store.commit();
      } catch (err) {
        // Nothing of a refused accept may stay behind: its queued changes are undone.
        takeBack(m);
        store.messages.discard(id);
        if (idem) store.idempotency.delete(idem.idemKey);
        if (start) scheduler.cancel(start.id);
        throw err instanceof AppError ? err : new StoreUnavailableError(err);
      }
      if (start) scheduler.arm(start);
      ctx.metrics.messagesAccepted.inc({ route: m.route });
      return { message: m, created: true };
    });
  }

  return {
    /**
     * Stores a new message (or finds the one an idempotency key already made) and resolves once it
     * is on disk. `created` is false for an idempotent replay.
     */
    async accept(req: SendRequest, idempotency?: { scope: string; key: string }): Promise<{ message: Message; created: boolean }> {
      const runtime = ctx.runtime();
      const { name, plan: route } = planFor(req, runtime.loaded);
      if (req.callbackUrl !== undefined) {
        const verdict = checkCallbackUrl(req.callbackUrl, { allowedHosts: runtime.loaded.config.callbacks.allowedHosts });
        if (!verdict.ok) throw new AppError('validation_failed', verdict.reason, [{ path: '/callbackUrl', message: verdict.reason }]);
      }

      if (!idempotency) return create(req, name, route);
      const idemKey = `${idempotency.scope}:${idempotency.key}`;
      const bodyHash = hash('sha256', canonical(req));
      // Twins (at this instance or another) take turns on the key; each finds its predecessor's
      // message committed. A key whose message is gone (its accept was refused) is taken over.
      return ctx.exclusive(`idempotency:${idemKey}`, async () => {
        const seen = await store.idempotency.fetch(idemKey);
        if (seen && seen.expiresAt > clock.now()) {
          if (seen.bodyHash !== bodyHash) throw new AppError('idempotency_conflict', 'this Idempotency-Key was used with a different body');
          const existing = await load(seen.messageId);
          if (existing) return { message: existing, created: false };
        }
        return create(req, name, route, { key: idempotency.key, idemKey, bodyHash });
      });
    },

    get: load,

    /**
     * Sends a short text of the gateway's own through one provider instance, as a message of its
     * own (route `system:<kind>`), so it is stored, retried and visible like any other.
     */
    notify(req: NoticeRequest): Promise<{ message: Message; created: boolean }> {
      const plan: RouteConfig = Object.freeze({
        mode: 'fallback',
        resendUnknown: false,
        steps: Object.freeze([Object.freeze({ channel: req.channel, providers: Object.freeze([req.provider]), until: 'sent', within: NOTICE_WITHIN })]),
      });
      return create({ route: `system:${req.kind}`, to: { [req.channel]: req.to }, content: { text: req.text }, ...(req.from ? { from: req.from } : {}) }, `system:${req.kind}`, plan);
    },

    /**
     * Resumes a step a consent policy held (its user replied); false when the step is no longer
     * held (it expired, failed or was canceled meanwhile).
     */
    release: (id: string, step: number, cause: string): Promise<boolean> => ctx.lock(id, async () => {
      const m = await load(id);
      if (!m) return false;
      const released = await releaseStep(ctx, m, step, cause);
      if (released) store.messages.put(m);
      await store.commit();
      return released;
    }),

    /**
     * Lets the consent policy hear of held steps that end unreleased: their hold ran out
     * (`timed_out` into the next step, or `expired`), their opt-in failed, or they were canceled.
     */
    onHoldEnded(listener: HoldEnded): void {
      ctx.holdEnded = listener;
    },

    async list(filter: ListFilter): Promise<{ items: Message[]; nextCursor?: string }> {
      const page = await store.messages.list({
        before: filter.cursor,
        since: filter.since,
        limit: filter.limit + 1,
        filter: (m) => (!filter.status || m.status === filter.status) && (!filter.route || m.route === filter.route),
      });
      return toApiPage(page, filter.limit);
    },

    cancel: (id: string): Promise<Message> => ctx.lock(id, async () => {
      const m = await load(id);
      if (!m) throw new AppError('not_found', `message ${id} does not exist`);
      if (FINAL_STATUSES.has(m.status)) throw new AppError('conflict', `message ${id} is already ${m.status}`);
      scheduler.cancel(`${m.id}.start`);
      for (const i of m.steps.keys()) await endHold(ctx, m, i, 'canceled');
      m.steps.forEach((s, i) => {
        cancelStepTimers(ctx, m, i);
        if (!isSettled(s.state)) {
          s.state = 'canceled';
          s.endedAt = iso(ctx);
        }
      });
      m.completedAt = iso(ctx);
      ctx.metrics.messages.inc({ route: m.route, outcome: 'canceled' });
      transition(ctx, m, 'canceled', 'canceled', 'canceled through the API');
      store.messages.put(m);
      await store.commit();
      return m;
    }),

    ingestStatus: (instance: string, event: StatusEvent) => ingestStatus(ctx, instance, event),

    /**
     * Attempts that were in flight in a process that died (this one's previous life, or another
     * instance sharing the store) are `unknown`. They are not re-sent unless their route says
     * `resendUnknown: true`; their step timers still run. Only the sends recorded as in flight are
     * visited, so this costs nothing per pending timer.
     */
    async recover(): Promise<number> {
      let unknown = 0;
      for (const [attemptId, ref] of await store.orphans()) await ctx.lock(ref.message, async () => {
        store.inflight.delete(attemptId);
        const m = await load(ref.message);
        const a = m?.attempts.find((x) => x.id === attemptId);
        if (!m || !a || a.status !== 'sending') return;
        a.status = 'unknown';
        a.updatedAt = iso(ctx);
        unknown += 1;
        record(ctx, m, { event: 'attempt_unknown', step: a.step, attempt: a.id, cause: 'the gateway stopped while this send was in flight' });
        if (m.plan.resendUnknown && m.steps[a.step].state === 'active') {
          record(ctx, m, { event: 'resend_unknown', step: a.step, cause: 'route has resendUnknown: true' });
          scheduler.schedule('step-retry', clock.now(), { message: m.id, step: a.step }, timerId(m, a.step, 'retry'));
          m.steps[a.step].state = 'waiting_retry';
        }
        store.messages.put(m);
      });
      await store.commit();
      return unknown;
    },
  };
}

export type Engine = ReturnType<typeof createEngine>;
