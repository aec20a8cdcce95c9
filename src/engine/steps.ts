import { parseDuration } from '../config/duration.js';
import type { Attempt, Message, StepState } from '../model.js';
import { addressFor } from './content.js';
import { iso, record, transition, type EngineContext } from './context.js';
import { sendOnStep } from './send.js';
import { isFailure, messageStatusOf, rank } from './status.js';

const SETTLED: ReadonlySet<StepState> = new Set(['succeeded', 'failed', 'timed_out', 'skipped', 'canceled']);

/** The stored timers a step can have; all are canceled when it ends. */
export const STEP_TIMERS = ['timeout', 'retry', 'send'] as const;
export const timerId = (m: Message, step: number, kind: (typeof STEP_TIMERS)[number]) => `${m.id}.${step}.${kind}`;

export function cancelStepTimers(ctx: EngineContext, m: Message, i: number): void {
  for (const kind of STEP_TIMERS) ctx.scheduler.cancel(timerId(m, i, kind));
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
  }
  progress.state = 'active';
  progress.startedAt = iso(ctx);
  record(ctx, m, { event: 'step_started', step: i, cause: `${step.channel} via ${step.providers.join(', ')}, until ${step.until} within ${step.within}` });
  ctx.scheduler.schedule('step-timeout', ctx.clock.now() + (parseDuration(step.within) ?? 0), { message: m.id, step: i }, timerId(m, i, 'timeout'));
  await sendOnStep(ctx, m, i, address);
}

/** Ends step `i` and decides what comes next: the next step, or the end of the message. */
export async function endStep(ctx: EngineContext, m: Message, i: number, state: StepState, cause: string): Promise<void> {
  const progress = m.steps[i];
  if (SETTLED.has(progress.state)) return;
  progress.state = state;
  progress.endedAt = iso(ctx);
  cancelStepTimers(ctx, m, i);
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
  if (m.steps.every((s) => SETTLED.has(s.state))) finish(ctx, m);
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
