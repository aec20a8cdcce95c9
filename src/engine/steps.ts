import { ProviderError } from '../errors.js';
import { parseDuration } from '../config/duration.js';
import type { Attempt, Message, StepState } from '../model.js';
import { backoffMs } from '../scheduler/backoff.js';
import { addressFor, contentFor } from './content.js';
import { iso, record, transition, type EngineContext } from './context.js';
import { applyParked } from './receipts.js';
import { isFailure, meets, messageStatusOf, rank } from './status.js';
import { createIdFactory } from '../ids.js';

const attemptId = createIdFactory();
const SETTLED: ReadonlySet<StepState> = new Set(['succeeded', 'failed', 'timed_out', 'skipped', 'canceled']);
// A provider call that outlives this is abandoned even if the plugin forgot its own timeout.
const SEND_CEILING_MS = 60_000;

export const timerId = (m: Message, step: number, kind: 'timeout' | 'retry') => `${m.id}.${step}.${kind}`;

/** Begins step `i`: guards and address first, then the timeout timer, then the first provider. */
export async function startStep(ctx: EngineContext, m: Message, i: number): Promise<void> {
  const step = m.plan.steps[i];
  const progress = m.steps[i];
  const address = addressFor(m.to, step.channel);
  if (!address) return endStep(ctx, m, i, 'skipped', `no ${step.channel} address`);
  for (const guard of ctx.guards) {
    const decision = await guard(m, i, address);
    if (decision.action === 'skip') return endStep(ctx, m, i, 'skipped', decision.reason);
  }
  progress.state = 'active';
  progress.startedAt = iso(ctx);
  record(ctx, m, { event: 'step_started', step: i, cause: `${step.channel} via ${step.providers.join(', ')}, until ${step.until} within ${step.within}` });
  ctx.scheduler.schedule('step-timeout', ctx.clock.now() + (parseDuration(step.within) ?? 0), { message: m.id, step: i }, timerId(m, i, 'timeout'));
  await sendOnStep(ctx, m, i, address);
}

/** Sends with the step's current provider; on an error moves to the next provider of the step. */
export async function sendOnStep(ctx: EngineContext, m: Message, i: number, address: string): Promise<void> {
  const step = m.plan.steps[i];
  const progress = m.steps[i];
  const providerName = step.providers[progress.providerIndex];
  const attempt: Attempt = {
    id: attemptId(), step: i, channel: step.channel, provider: providerName, to: address,
    status: 'sending', createdAt: iso(ctx), updatedAt: iso(ctx), receipts: [],
  };
  m.attempts.push(attempt);
  ctx.store.messages.put(m);
  ctx.store.inflight.set(attempt.id, { message: m.id, step: i });
  // The attempt and its step timer are on disk before the provider hears of it: after a crash the
  // attempt is known to be `unknown`, and the fallback still happens.
  await ctx.store.commit();
  if (progress.state !== 'active') {
    Object.assign(attempt, { status: 'error', errorReason: `step ${progress.state} before the send`, updatedAt: iso(ctx) });
    ctx.store.inflight.delete(attempt.id);
    ctx.store.messages.put(m);
    return ctx.store.commit();
  }

  const provider = ctx.runtime().providers.get(providerName);
  const started = ctx.clock.now();
  try {
    if (!provider) throw new ProviderError(`provider ${providerName} is no longer configured`, { reason: 'client' });
    const receipt = await provider.send(
      { attemptId: attempt.id, messageId: m.id, channel: step.channel, to: address, content: contentFor(m.content, step.channel), statusCallbackUrl: ctx.runtime().webhookUrl(providerName, 'status') },
      { signal: AbortSignal.timeout(SEND_CEILING_MS) },
    );
    ctx.metrics.providerDuration.observe({ provider: providerName, operation: 'send' }, (ctx.clock.now() - started) / 1000);
    attempt.status = receipt.status;
    attempt.providerMessageId = receipt.providerMessageId;
    if (receipt.details) attempt.details = receipt.details;
    attempt.updatedAt = iso(ctx);
    ctx.store.attemptIndex.set(`${providerName}/${receipt.providerMessageId}`, m.id);
    ctx.metrics.attempts.inc({ channel: step.channel, provider: providerName, status: receipt.status });
    record(ctx, m, { event: 'attempt_sent', step: i, attempt: attempt.id, cause: `${providerName} accepted it as ${receipt.providerMessageId}` });
    if (progress.state === 'active' && meets(step.until, attempt.status)) endStep(ctx, m, i, 'succeeded', `${step.until} reached on ${step.channel}`);
  } catch (err) {
    const e = err instanceof ProviderError ? err : new ProviderError((err as Error).message, { reason: 'server', cause: err });
    ctx.metrics.providerDuration.observe({ provider: providerName, operation: 'send' }, (ctx.clock.now() - started) / 1000);
    ctx.metrics.providerErrors.inc({ provider: providerName, reason: e.reason });
    ctx.metrics.attempts.inc({ channel: step.channel, provider: providerName, status: 'error' });
    Object.assign(attempt, { status: 'error', errorCode: e.providerCode ?? e.reason, errorReason: e.message, retryable: e.retryable, updatedAt: iso(ctx) });
    record(ctx, m, { event: 'attempt_error', step: i, attempt: attempt.id, cause: `${providerName}: ${e.message}` });
    if (progress.state === 'active') await afterSendError(ctx, m, i, address);
  }
  ctx.store.inflight.delete(attempt.id);
  ctx.store.messages.put(m);
  await ctx.store.commit();
  if (attempt.providerMessageId) await applyParked(ctx, providerName, attempt.providerMessageId);
}

async function afterSendError(ctx: EngineContext, m: Message, i: number, address: string): Promise<void> {
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
  const due = ctx.clock.now() + backoffMs(progress.retries, retry);
  const deadline = ctx.scheduler.get(timerId(m, i, 'timeout'))?.due ?? 0;
  if (retryable && progress.retries < retry.attempts && due < deadline) {
    progress.state = 'waiting_retry';
    progress.retries += 1;
    progress.providerIndex = 0;
    ctx.scheduler.schedule('step-retry', due, { message: m.id, step: i }, timerId(m, i, 'retry'));
    record(ctx, m, { event: 'retry_scheduled', step: i, cause: `every provider failed; retry ${progress.retries} of ${retry.attempts} at ${new Date(due).toISOString()}` });
    return;
  }
  endStep(ctx, m, i, 'failed', `every provider of the ${step.channel} step failed${retryable ? ' and retries ran out' : ''}`);
}

/** Ends step `i` and decides what comes next: the next step, or the end of the message. */
export function endStep(ctx: EngineContext, m: Message, i: number, state: StepState, cause: string): Promise<void> | void {
  const progress = m.steps[i];
  if (SETTLED.has(progress.state)) return;
  progress.state = state;
  progress.endedAt = iso(ctx);
  ctx.scheduler.cancel(timerId(m, i, 'timeout'));
  ctx.scheduler.cancel(timerId(m, i, 'retry'));
  record(ctx, m, { event: `step_${state}`, step: i, cause });
  if (m.plan.mode === 'fallback') {
    if (state === 'succeeded') return finish(ctx, m);
    const next = i + 1;
    if (next >= m.plan.steps.length) return finish(ctx, m);
    const from = m.plan.steps[i].channel;
    const to = m.plan.steps[next].channel;
    const reason = state === 'timed_out' ? 'timeout' : state === 'skipped' ? 'skipped' : 'failed';
    ctx.metrics.fallbacks.inc({ route: m.route, from_channel: from, to_channel: to, reason });
    record(ctx, m, { event: 'fallback', step: next, cause: `fallback: ${cause}` });
    return startStep(ctx, m, next);
  }
  if (m.steps.every((s) => SETTLED.has(s.state))) return finish(ctx, m);
}

/** The final status: the best attempt of a step that succeeded, else the best attempt at all. */
export function finish(ctx: EngineContext, m: Message): void {
  const succeeded = new Set(m.steps.flatMap((s, i) => (s.state === 'succeeded' ? [i] : [])));
  const pool = succeeded.size > 0 ? m.attempts.filter((a) => succeeded.has(a.step)) : m.attempts;
  const best = pool.reduce<Attempt | undefined>((b, a) => (!b || rank(a.status) > rank(b.status) ? a : b), undefined);
  const status = best && !isFailure(best.status) ? messageStatusOf(best.status) : 'failed';
  m.completedAt = iso(ctx);
  ctx.metrics.messages.inc({ route: m.route, outcome: status });
  transition(ctx, m, status, 'completed', succeeded.size > 0 ? 'success condition met' : 'every step ended without meeting its condition');
}

export const isSettled = (state: StepState): boolean => SETTLED.has(state);
