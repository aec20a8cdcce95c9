import type { StatusEvent } from '../plugin-api.js';
import { iso, record, transition, type EngineContext } from './context.js';
import { endStep } from './steps.js';
import { advances, isFailure, meets, messageRank, messageStatusOf, rank } from './status.js';

export type ReceiptOutcome = 'applied' | 'late' | 'duplicate' | 'unmatched';

/**
 * Applies a provider's status report to its attempt. A receipt for a step the message already
 * left is recorded as late (and can still raise the message's status), never dropped.
 */
export async function ingestStatus(ctx: EngineContext, instance: string, event: StatusEvent): Promise<ReceiptOutcome> {
  const ref = ctx.store.attemptIndex.get(`${instance}/${event.providerMessageId}`);
  if (!ref) return 'unmatched';
  const [messageId, attemptId] = ref.split('/');
  const m = await ctx.store.messages.get(messageId);
  const attempt = m?.attempts.find((a) => a.id === attemptId);
  if (!m || !attempt) return 'unmatched';
  if (attempt.receipts.some((r) => r.status === event.status && r.errorCode === event.errorCode)) return 'duplicate';

  const at = event.at ?? iso(ctx);
  attempt.receipts.push({ status: event.status, at, ...(event.errorCode ? { errorCode: event.errorCode } : {}) });
  ctx.metrics.attempts.inc({ channel: attempt.channel, provider: instance, status: event.status });
  const moved = advances(attempt.status, event.status);
  if (moved) {
    attempt.status = event.status;
    attempt.updatedAt = iso(ctx);
    if (event.errorCode) attempt.errorCode = event.errorCode;
    if (event.errorReason) attempt.errorReason = event.errorReason;
    if (event.details) attempt.details = { ...attempt.details, ...event.details };
    if (rank(event.status) >= 3 && !attempt.receipts.some((r) => r !== attempt.receipts.at(-1) && rank(r.status) >= 3)) {
      ctx.metrics.timeToDelivery.observe({ route: m.route, channel: attempt.channel }, Math.max(0, ctx.clock.now() - Date.parse(m.createdAt)) / 1000);
    }
  }

  const step = m.plan.steps[attempt.step];
  const progress = m.steps[attempt.step];
  const current = m.attempts.filter((a) => a.step === attempt.step).at(-1) === attempt;
  const detail = `${attempt.channel} ${event.status}${event.errorCode ? ` (${event.errorCode}${event.errorReason ? `: ${event.errorReason}` : ''})` : ''}`;
  let outcome: ReceiptOutcome = 'applied';
  if (progress.state === 'active' && current && moved) {
    record(ctx, m, { event: 'receipt', step: attempt.step, attempt: attempt.id, cause: detail });
    if (meets(step.until, attempt.status)) await endStep(ctx, m, attempt.step, 'succeeded', `${step.until} reached on ${step.channel}`);
    else if (isFailure(attempt.status)) await endStep(ctx, m, attempt.step, 'failed', `${detail} from ${instance}`);
  } else {
    outcome = 'late';
    record(ctx, m, { event: 'late_receipt', step: attempt.step, attempt: attempt.id, cause: `${detail} after the step was ${progress.state}` });
    // A done message still reports the best news it has: a late "delivered" upgrades "sent".
    const better = messageStatusOf(attempt.status);
    if (moved && m.completedAt && m.status !== 'canceled' && !isFailure(attempt.status) && messageRank(better) > messageRank(m.status)) {
      transition(ctx, m, better, 'late_receipt_upgrade', `${attempt.channel} attempt reported ${attempt.status}`);
    }
  }
  ctx.store.messages.put(m);
  await ctx.store.commit();
  return outcome;
}
