import { setMaxListeners } from 'node:events';
import { systemClock } from '../clock.js';
import { parseDuration } from '../config/duration.js';
import { ProviderError, StoreUnavailableError } from '../errors.js';
import type { Attempt, Message } from '../model.js';
import type { OutboundMessage, ResolvedContent, SendReceipt } from '../plugin-api.js';
import { backoffMs } from '../scheduler/backoff.js';
import { contentFor, mayTake, stepSender } from './content.js';
import { iso, record, type EngineContext } from './context.js';
import { applyParked, attemptKey } from './receipts.js';
import { endStep, timerId } from './steps.js';
import { meets } from './status.js';
import { createIdFactory } from '../ids.js';
import { logProviderFailure } from '../log/provider-failure.js';
import { foretell } from '../plugin-kit/deadline.js';

const attemptId = createIdFactory();
// A provider call that outlives this is abandoned even if the plugin ignores its abort signal.
export const SEND_CEILING_MS = 60_000;
// Sends that start within one such window share a ceiling: each is abandoned 60–61 s after it began.
export const CEILING_WINDOW_MS = 1000;
const CEILING = Symbol('ceiling');

/**
 * The sends starting in the current window, per clock (an engine's): their abort signal, and how
 * to stop waiting for each send still running when it aborts. Windowed like `withDeadline`'s shared
 * deadlines, but on the engine's clock, which tests move by hand, and with the engine's own reason;
 * `foretell` tells `withDeadline` about it where that clock is real.
 */
interface CeilingWindow {
  signal: AbortSignal;
  until: number;
  running: Set<() => void>;
}
const windows = new WeakMap<object, CeilingWindow>();

function ceilingWindow(ctx: EngineContext): CeilingWindow {
  const now = ctx.clock.now();
  let window = windows.get(ctx.clock);
  if (!window || now >= window.until) {
    const controller = new AbortController();
    // Each request a plugin makes with it may listen to it.
    setMaxListeners(0, controller.signal);
    const running = new Set<() => void>();
    const handle = ctx.clock.setTimeout(() => {
      // The engine stops waiting first, so what a plugin does on the abort cannot come before it.
      for (const stop of running) stop();
      controller.abort(new ProviderError('the send ceiling passed', { reason: 'timeout' }));
    }, SEND_CEILING_MS + CEILING_WINDOW_MS);
    // Nothing waits on it once its sends are done: it must not hold a stopping process open.
    (handle as { unref?: () => void } | undefined)?.unref?.();
    // So a plugin's own deadline within a send needs no controller of its own. Only on real time:
    // on a test's clock the ceiling passes whenever the test says.
    if (ctx.clock === systemClock) foretell(controller.signal, SEND_CEILING_MS + CEILING_WINDOW_MS);
    window = { signal: controller.signal, until: now + CEILING_WINDOW_MS, running };
    windows.set(ctx.clock, window);
  }
  return window;
}

/**
 * Runs a provider call under the engine's own deadline: the plugin gets an abort signal, and if
 * it does not honour it the engine stops waiting anyway, so no plugin can hold a message's lock.
 * One controller and one timer serve every send of a window: made per send they cost about 5 µs
 * a send. A running send is one entry in its window's set, not a listener on the signal: an
 * `EventTarget` walks its listeners on every add and remove (2 µs a send, 9 µs with 1,000 in flight).
 */
function underCeiling<T>(ctx: EngineContext, call: (signal: AbortSignal) => Promise<T>): Promise<T | typeof CEILING> {
  const window = ceilingWindow(ctx);
  return new Promise<T | typeof CEILING>((resolve, reject) => {
    // A plugin that throws instead of rejecting rejects this promise, and leaves no entry behind.
    const sent = call(window.signal);
    const stop = () => resolve(CEILING);
    window.running.add(stop);
    const done = () => window.running.delete(stop);
    sent.then((value) => {
      done();
      resolve(value);
    }, (err: unknown) => {
      done();
      reject(err);
    });
  });
}

// An opt-in template goes out while its step is held, so it cannot wait as a `step-send` would.
const UNLIMITED = { ok: true, release: () => {} } as const;

/**
 * Sends with the step's current provider; on an error moves to the next provider of the step. A
 * provider at its `rateLimit` makes the send wait on a stored timer (`step-send`) instead.
 * `reserved`: this send already holds a rate slot set aside when it was told to wait. `optIn`: send
 * this consent opt-in template (as an `optin` attempt of the held step) instead of the message.
 */
export async function sendOnStep(ctx: EngineContext, m: Message, i: number, address: string, reserved = false, optIn?: ResolvedContent): Promise<void> {
  const step = m.plan.steps[i];
  const progress = m.steps[i];
  const runtime = ctx.runtime();
  const from = stepSender(m, i);
  // A message (or step) that names its sender goes only through providers that may send from it.
  while (progress.providerIndex < step.providers.length && !mayTake(m, i, step.providers[progress.providerIndex], runtime.maySendFrom)) {
    record(ctx, m, { event: 'provider_skipped', step: i, cause: `${step.providers[progress.providerIndex]} may not send from ${from}` });
    progress.providerIndex += 1;
  }
  if (progress.providerIndex >= step.providers.length) {
    return endStep(ctx, m, i, 'failed', `no provider of the ${step.channel} step may send from ${from} (see providers.<name>.senders)`);
  }
  const providerName = step.providers[progress.providerIndex];
  const admission = optIn ? UNLIMITED : ctx.limiter.admit(providerName, runtime.rateLimits.get(providerName), reserved);
  if (!admission.ok) {
    if (progress.state !== 'waiting_rate') record(ctx, m, { event: 'rate_limited', step: i, cause: `${providerName} is at its rateLimit; the send waits` });
    progress.state = 'waiting_rate';
    ctx.scheduler.schedule('step-send', ctx.clock.now() + admission.waitMs, { message: m.id, step: i, provider: providerName, reserved: admission.reserved ? 1 : 0 }, timerId(m, i, 'send'));
    return;
  }
  const attempt = await claimAttempt(ctx, m, i, address, providerName, optIn !== undefined);
  if (!attempt) return admission.release();
  const request: OutboundMessage = {
    attemptId: attempt.id, messageId: m.id, channel: step.channel, to: address, ...(from ? { from } : {}),
    content: optIn ?? contentFor(m.content, step.channel), statusCallbackUrl: runtime.webhookUrl(providerName, 'status'),
  };
  // The provider call runs once the message's lock is let go; its outcome is applied under a new hold.
  await ctx.defer(m.id, () => runtime.track(callProvider(ctx, attempt, providerName, request)).finally(() => admission.release()), admission.release);
}

/**
 * Records the attempt (and that it is in flight) and commits, before the provider hears of it:
 * after a crash the attempt is known to be `unknown`, and the step's timers still run.
 */
async function claimAttempt(ctx: EngineContext, m: Message, i: number, address: string, providerName: string, optIn: boolean): Promise<Attempt | undefined> {
  const attempt: Attempt = {
    id: attemptId(), step: i, channel: m.plan.steps[i].channel, provider: providerName, to: address,
    ...(optIn ? { purpose: 'optin' as const } : {}),
    status: 'sending', createdAt: iso(ctx), updatedAt: iso(ctx), receipts: [],
  };
  m.attempts.push(attempt);
  ctx.store.inflight.set(attempt.id, { message: m.id, step: i });
  // A message being created is put once its routing is done, and claimed by its accept's own commit.
  if (ctx.creating(m.id)) return attempt;
  ctx.store.messages.put(m);
  try {
    await ctx.store.commit();
    return attempt;
  } catch {
    notStored(ctx, m, attempt);
    return undefined;
  }
}

type Outcome = SendReceipt | typeof CEILING | ProviderError;

/** Calls the provider holding no lock, then applies what it said to the message as it is by then. */
async function callProvider(ctx: EngineContext, claimed: Attempt, providerName: string, request: OutboundMessage): Promise<void> {
  const provider = ctx.runtime().providers.get(providerName);
  const started = ctx.clock.now();
  let outcome: Outcome;
  try {
    if (!provider) throw new ProviderError(`provider ${providerName} is no longer configured`, { reason: 'client' });
    outcome = await underCeiling(ctx, (signal) => provider.send(request, { signal }));
  } catch (err) {
    outcome = err instanceof ProviderError ? err : new ProviderError((err as Error).message, { reason: 'server', cause: err });
  }
  ctx.metrics.providerDuration.observe({ provider: providerName, operation: 'send' }, (ctx.clock.now() - started) / 1000);
  const apply = applyPersistently(ctx, claimed, providerName, request.messageId, outcome);
  const known = outcome instanceof ProviderError || outcome === CEILING ? undefined : outcome.providerMessageId;
  return known === undefined ? apply : ctx.answers.during(attemptKey(providerName, known), apply);
}

/** What the provider said must not be dropped for a store that is away for a moment. */
async function applyPersistently(ctx: EngineContext, claimed: Attempt, providerName: string, messageId: string, outcome: Outcome): Promise<void> {
  for (let tries = 1; ; tries += 1) {
    try {
      return await applyUnderLock(ctx, claimed, providerName, messageId, outcome);
    } catch (err) {
      if (!(err instanceof StoreUnavailableError) || tries >= APPLY_TRIES) throw err;
      await new Promise<void>((resolve) => ctx.clock.setTimeout(() => resolve(), 1000));
    }
  }
}

// One a second: a store that is away for longer leaves the attempt in flight, `unknown` at recovery.
const APPLY_TRIES = 30;

function applyUnderLock(ctx: EngineContext, claimed: Attempt, providerName: string, messageId: string, outcome: Outcome): Promise<void> {
  return ctx.lock(messageId, async () => {
    ctx.store.inflight.delete(claimed.id);
    const m = await ctx.store.messages.get(messageId);
    const attempt = m?.attempts.find((a) => a.id === claimed.id);
    if (!m || !attempt) return ctx.store.commit();
    await applyOutcome(ctx, m, attempt, outcome);
    ctx.store.messages.put(m);
    await ctx.store.commit();
    if (attempt.providerMessageId) await applyParked(ctx, m, providerName, attempt.providerMessageId);
  });
}

async function applyOutcome(ctx: EngineContext, m: Message, attempt: Attempt, outcome: Outcome): Promise<void> {
  if (outcome === CEILING) return markUnknown(ctx, m, attempt, attempt.provider);
  if (!(outcome instanceof ProviderError)) return accepted(ctx, m, attempt, outcome);
  const e = outcome;
  const i = attempt.step;
  ctx.metrics.providerErrors.inc({ provider: attempt.provider, reason: e.reason });
  ctx.metrics.attempts.inc({ channel: attempt.channel, provider: attempt.provider, status: 'error' });
  logProviderFailure(ctx.logger, { ...instanceOf(ctx, attempt.provider), operation: 'send', messageId: m.id, attemptId: attempt.id }, e);
  Object.assign(attempt, { status: 'error', errorCode: e.providerCode ?? e.reason, errorReason: e.message, retryable: e.retryable, updatedAt: iso(ctx) });
  record(ctx, m, { event: 'attempt_error', step: i, attempt: attempt.id, cause: `${attempt.provider}: ${e.message}` });
  if (e.retryAfterMs !== undefined) ctx.limiter.pause(attempt.provider, e.retryAfterMs);
  if (e.signal) ctx.onSignal(e.signal, { message: m, channel: attempt.channel, provider: attempt.provider, to: attempt.to });
  // The step may have ended (timed out, canceled) while the provider was asked.
  if (attempt.purpose === 'optin') {
    if (m.steps[i].state === 'held') await endStep(ctx, m, i, 'failed', `consent: the opt-in template could not be sent (${attempt.provider}: ${e.message})`);
    return;
  }
  if (m.steps[i].state === 'active') await afterSendError(ctx, m, i, attempt.to, e.retryAfterMs ?? 0);
}

// How long a send that could not be recorded waits before trying again (the store was full).
const STORE_RETRY_MS = 5000;

/**
 * The attempt could not be stored, so the provider never heard of it. The step tries again later
 * (its own `within` still bounds it) instead of spending a provider failover or a retry on a disk
 * that is full for a moment.
 */
function notStored(ctx: EngineContext, m: Message, attempt: Attempt): void {
  Object.assign(attempt, { status: 'error', errorCode: 'store_unavailable', errorReason: 'not sent: the attempt could not be stored', retryable: true, updatedAt: iso(ctx) });
  ctx.store.inflight.delete(attempt.id);
  record(ctx, m, { event: 'attempt_error', step: attempt.step, attempt: attempt.id, cause: 'not sent: the store cannot write; trying again shortly' });
  const progress = m.steps[attempt.step];
  if (progress.state === 'active') {
    progress.state = 'waiting_retry';
    ctx.scheduler.schedule('step-retry', ctx.clock.now() + STORE_RETRY_MS, { message: m.id, step: attempt.step }, timerId(m, attempt.step, 'retry'));
  }
  ctx.store.messages.put(m);
}

async function accepted(ctx: EngineContext, m: Message, attempt: Attempt, receipt: SendReceipt): Promise<void> {
  const step = m.plan.steps[attempt.step];
  attempt.status = receipt.status;
  attempt.providerMessageId = receipt.providerMessageId;
  if (receipt.details) attempt.details = receipt.details;
  attempt.updatedAt = iso(ctx);
  ctx.store.attemptIndex.set(attemptKey(attempt.provider, receipt.providerMessageId), m.id);
  ctx.metrics.attempts.inc({ channel: step.channel, provider: attempt.provider, status: receipt.status });
  record(ctx, m, { event: 'attempt_sent', step: attempt.step, attempt: attempt.id, cause: `${attempt.provider} accepted it as ${receipt.providerMessageId}` });
  if (m.steps[attempt.step].state === 'active' && attempt.purpose !== 'optin' && meets(step.until, attempt.status)) {
    await endStep(ctx, m, attempt.step, 'succeeded', `${step.until} reached on ${step.channel}`);
  }
}

/** The provider neither answered nor failed within the ceiling: it may have sent, so never resend blindly. */
function markUnknown(ctx: EngineContext, m: Message, attempt: Attempt, providerName: string): void {
  Object.assign(attempt, { status: 'unknown', errorReason: `no answer within ${SEND_CEILING_MS / 1000}s`, updatedAt: iso(ctx) });
  ctx.metrics.providerErrors.inc({ provider: providerName, reason: 'timeout' });
  logProviderFailure(ctx.logger, { ...instanceOf(ctx, providerName), operation: 'send', messageId: m.id, attemptId: attempt.id }, new ProviderError(`no answer within ${SEND_CEILING_MS / 1000}s; the outcome is unknown`, { reason: 'timeout' }));
  record(ctx, m, { event: 'attempt_unknown', step: attempt.step, attempt: attempt.id, cause: `${providerName} did not answer within ${SEND_CEILING_MS / 1000}s; the step's own wait still runs` });
}

/** The instance and, while it is still configured, its plugin: what a failure log line names. */
function instanceOf(ctx: EngineContext, provider: string): { provider: string; plugin?: string } {
  const { providers } = ctx.runtime().loaded.config;
  return Object.hasOwn(providers, provider) ? { provider, plugin: providers[provider].plugin } : { provider };
}

async function afterSendError(ctx: EngineContext, m: Message, i: number, address: string, retryAfterMs: number): Promise<void> {
  const step = m.plan.steps[i];
  const progress = m.steps[i];
  if (progress.providerIndex + 1 < step.providers.length) {
    progress.providerIndex += 1;
    record(ctx, m, { event: 'provider_failover', step: i, cause: `trying ${step.providers[progress.providerIndex]}` });
    return sendOnStep(ctx, m, i, address);
  }
  const round = m.attempts.filter((a) => a.step === i).slice(-step.providers.length);
  const retryable = round.some((a) => a.retryable);
  const { retry } = ctx.runtime();
  // A provider's Retry-After is a floor under our own backoff.
  const due = ctx.clock.now() + Math.max(backoffMs(progress.retries, retry), retryAfterMs);
  // The step's timeout timer is due then (it may be held by another instance).
  const deadline = Date.parse(progress.startedAt ?? '') + (parseDuration(step.within) ?? 0);
  if (retryable && progress.retries < retry.attempts && due < deadline) {
    progress.state = 'waiting_retry';
    progress.retries += 1;
    progress.providerIndex = 0;
    ctx.scheduler.schedule('step-retry', due, { message: m.id, step: i }, timerId(m, i, 'retry'));
    record(ctx, m, { event: 'retry_scheduled', step: i, cause: `every provider failed; retry ${progress.retries} of ${retry.attempts} at ${new Date(due).toISOString()}` });
    return;
  }
  await endStep(ctx, m, i, 'failed', `every provider of the ${step.channel} step failed${retryable ? ' and retries ran out' : ''}`);
}
