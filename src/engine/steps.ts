import { parseDuration } from '../config/duration.js';
import type { Attempt, Message, StepState } from '../model.js';
import { addressFor } from './content.js';
import { iso, record, transition, type EngineContext, type GuardDecision } from './context.js';
import { sendOnStep } from './send.js';
import { isFailure, messageStatusOf, rank } from './status.js';

const SETTLED: ReadonlySet<StepState> = new Set(['succeeded', 'failed', 'timed_out', 'skipped', 'canceled', 'expired']);

/** The stored timers a step can have; all are canceled when it ends. */
export const STEP_TIMERS = ['timeout', 'retry', 'send', 'hold'] as const;
export const timerId = (m: Message, step: number, kind: (typeof STEP_TIMERS)[number]) => `${m.id}.${step}.${kind}`;

export function cancelStepTimers(ctx: EngineContext, m: Message, i: number): void {
  for (const kind of STEP_TIMERS) ctx.scheduler.cancel(timerId(m, i, kind));
}

/** Tells the consent policy a held step is ending; called before the step's timers change, since the listener may commit. */
export async function endHold(ctx: EngineContext, m: Message, i: number, state: StepState): Promise<void> {
  const progress = m.steps[i];
  if (progress.state === 'held' && progress.hold) await ctx.holdEnded?.(m, i, progress.hold, state);
}

/** Begins step `i`: guards and address first, then the timeout timer, then the first provider. */
export async function startStep(ctx: EngineContext, m: Message, i: number): Promise<void> {
  const step = m.plan.steps[i];
  const progress = m.steps[i];
  const address = addressFor(m.to, step.channel);
  if (!address) return endStep(ctx, m, i, 'skipped', `no ${step.channel} address`);
  for (const guard of ctx.guards) {
    const decision = await guard(m, i, address);
    if (decision.action === 'skip') return endStep(ctx, m, i, 'skipped', decision.reason);
    if (decision.action === 'hold') return holdStep(ctx, m, i, address, decision);
  }
  progress.state = 'active';
  progress.startedAt = iso(ctx);
  record(ctx, m, { event: 'step_started', step: i, cause: `${step.channel} via ${step.providers.join(', ')}, until ${step.until} within ${step.within}` });
  ctx.scheduler.schedule('step-timeout', ctx.clock.now() + (parseDuration(step.within) ?? 0), { message: m.id, step: i }, timerId(m, i, 'timeout'));
  await sendOnStep(ctx, m, i, address);
}

/**
 * Holds step `i` for a consent policy: no send and no step timeout, only the hold timer; the
 * opt-in template, when the policy sends one, goes out as an attempt of the step.
 */
async function holdStep(ctx: EngineContext, m: Message, i: number, address: string, decision: Extract<GuardDecision, { action: 'hold' }>): Promise<void> {
  const progress = m.steps[i];
  progress.state = 'held';
  progress.hold = decision.hold;
  progress.startedAt = iso(ctx);
  record(ctx, m, { event: 'step_held', step: i, cause: decision.hold.cause });
  transition(ctx, m, 'held', 'held', decision.hold.cause);
  ctx.scheduler.schedule('step-hold', decision.hold.until, { message: m.id, step: i }, timerId(m, i, 'hold'));
  if (decision.optIn) await sendOnStep(ctx, m, i, address, false, decision.optIn);
}

/** Starts a held step again (its user replied, or it was let go): its guards run once more. */
export async function releaseStep(ctx: EngineContext, m: Message, i: number, cause: string): Promise<boolean> {
  const progress = m.steps[i];
  if (progress.state !== 'held') return false;
  ctx.scheduler.cancel(timerId(m, i, 'hold'));
  delete progress.hold;
  progress.state = 'pending';
  record(ctx, m, { event: 'released', step: i, cause });
  leaveHeld(ctx, m, cause);
  await startStep(ctx, m, i);
  return true;
}

/** A held step's hold ran out: the route goes on (`fallback`) or the message ends `expired`. */
export async function expireHold(ctx: EngineContext, m: Message, i: number): Promise<void> {
  const hold = m.steps[i].hold;
  if (!hold) return;
  if (hold.onExpiry === 'fallback') return endStep(ctx, m, i, 'timed_out', hold.expiry);
  for (const [j, s] of m.steps.entries()) {
    if (SETTLED.has(s.state)) continue;
    await endHold(ctx, m, j, 'expired');
    cancelStepTimers(ctx, m, j);
    s.state = 'expired';
    s.endedAt = iso(ctx);
    delete s.hold;
    record(ctx, m, { event: 'step_expired', step: j, cause: hold.expiry });
  }
  m.completedAt = iso(ctx);
  ctx.metrics.messages.inc({ route: m.route, outcome: 'expired' });
  transition(ctx, m, 'expired', 'expired', hold.expiry);
}

/** A message no step holds any more is routing again. */
function leaveHeld(ctx: EngineContext, m: Message, cause: string): void {
  if (m.status === 'held' && !m.steps.some((s) => s.state === 'held')) transition(ctx, m, 'routing', 'routing', cause);
}

/** Ends step `i` and decides what comes next: the next step, or the end of the message. */
export async function endStep(ctx: EngineContext, m: Message, i: number, state: StepState, cause: string): Promise<void> {
  const progress = m.steps[i];
  if (SETTLED.has(progress.state)) return;
  await endHold(ctx, m, i, state);
  progress.state = state;
  progress.endedAt = iso(ctx);
  delete progress.hold;
  cancelStepTimers(ctx, m, i);
  record(ctx, m, { event: `step_${state}`, step: i, cause });
  leaveHeld(ctx, m, cause);
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
  if (m.steps.every((s) => SETTLED.has(s.state))) finish(ctx, m);
}

/** The final status: the best attempt of a step that succeeded, else the best attempt at all. */
export function finish(ctx: EngineContext, m: Message): void {
  const anySucceeded = m.steps.some((s) => s.state === 'succeeded');
  let best: Attempt | undefined;
  for (const a of m.attempts) {
    // An opt-in template reaching the user says nothing about the message itself.
    if (a.purpose === 'optin' || (anySucceeded && m.steps[a.step]?.state !== 'succeeded')) continue;
    if (!best || rank(a.status) > rank(best.status)) best = a;
  }
  const status = best && !isFailure(best.status) ? messageStatusOf(best.status) : 'failed';
  m.completedAt = iso(ctx);
  ctx.metrics.messages.inc({ route: m.route, outcome: status });
  transition(ctx, m, status, 'completed', anySucceeded ? 'success condition met' : 'every step ended without meeting its condition');
}

export const isSettled = (state: StepState): boolean => SETTLED.has(state);
