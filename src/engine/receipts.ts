import type { AttemptStatus, StatusEvent } from '../plugin-api.js';
import { FINAL_STATUSES, type Message } from '../model.js';
import { iso, record, transition, type EngineContext } from './context.js';
import { endStep } from './steps.js';
import { advances, isFailure, meets, messageRank, messageStatusOf, rank } from './status.js';

export type ReceiptOutcome = 'applied' | 'late' | 'duplicate' | 'parked';

// Long enough for any provider's API answer to arrive after its own callback.
const PARK_MS = 10 * 60_000;
const STATUS_ORDER: readonly AttemptStatus[] = ['queued', 'sent', 'delivered', 'read', 'undelivered', 'failed'];
const parkedKey = (instance: string, providerMessageId: string, status: AttemptStatus) => `${instance}/${providerMessageId}/${status}`;

/** How a receipt finds its message: the store indexes these keys without knowing what they are. */
export const attemptKey = (instance: string, providerMessageId: string): string => `${instance}/${providerMessageId}`;

// A receipt may still come for an attempt in these states.
const AWAITING: ReadonlySet<Message['attempts'][number]['status']> = new Set(['sending', 'queued', 'sent']);

/**
 * A message that will be read again soon (the store's `isOpen`): still routing, or with an attempt
 * a receipt may still come for.
 */
export const isOpenMessage = (m: Message): boolean => !FINAL_STATUSES.has(m.status) || m.attempts.some((a) => AWAITING.has(a.status));

/** Every attempt key of a message (the store's `indexKeys`). */
export const attemptKeys = (m: Message): string[] => m.attempts.flatMap((a) => (a.providerMessageId ? [attemptKey(a.provider, a.providerMessageId)] : []));

/**
 * Applies a provider's status report to its attempt. A receipt for a step the message already
 * left is recorded as late (and can still raise the message's status), never dropped. A receipt
 * for an attempt not known yet is parked (durably) until the send that made it returns.
 */
export async function ingestStatus(ctx: EngineContext, instance: string, event: StatusEvent): Promise<ReceiptOutcome> {
  const key = attemptKey(instance, event.providerMessageId);
  await ctx.answers.settled(key);
  const messageId = await ctx.store.attemptIndex.fetch(key);
  if (messageId) return ctx.lock(messageId, () => applyStatus(ctx, instance, event, messageId));
  const parked = await park(ctx, instance, event);
  if (parked !== 'parked') return parked;
  // The send that makes this attempt known looks for parked receipts once its index entry is
  // committed. If it looked before this one was stored, the entry is there by now, so this side
  // applies it. Both sides may: a receipt applied twice is recorded once.
  const late = await ctx.store.attemptIndex.fetch(key);
  if (!late) return 'parked';
  return ctx.lock(late, async () => {
    const pkey = parkedKey(instance, event.providerMessageId, event.status);
    if (!(await ctx.store.parked.fetch(pkey))) return 'parked';
    ctx.store.parked.delete(pkey);
    return applyStatus(ctx, instance, event, late);
  });
}

async function park(ctx: EngineContext, instance: string, event: StatusEvent): Promise<ReceiptOutcome> {
  const key = parkedKey(instance, event.providerMessageId, event.status);
  if (await ctx.store.parked.fetch(key)) return duplicate(ctx);
  ctx.store.parked.set(key, { instance, event, expiresAt: ctx.clock.now() + PARK_MS });
  await ctx.store.commit();
  return 'parked';
}

/** `ingestStatus` for a caller that already holds the message's lock. */
async function applyStatus(ctx: EngineContext, instance: string, event: StatusEvent, messageId: string): Promise<ReceiptOutcome> {
  const m = await ctx.store.messages.get(messageId);
  const attempt = m?.attempts.find((a) => a.provider === instance && a.providerMessageId === event.providerMessageId);
  if (!m || !attempt) return park(ctx, instance, event);
  if (attempt.receipts.some((r) => r.status === event.status && r.errorCode === event.errorCode)) return duplicate(ctx);

  attempt.receipts.push({ status: event.status, at: event.at ?? iso(ctx), ...(event.errorCode ? { errorCode: event.errorCode } : {}) });
  ctx.metrics.attempts.inc({ channel: attempt.channel, provider: instance, status: event.status });
  const moved = advances(attempt.status, event.status);
  if (moved) {
    const firstDelivery = rank(event.status) >= 3 && rank(attempt.status) < 3;
    attempt.status = event.status;
    attempt.updatedAt = iso(ctx);
    if (event.errorCode) attempt.errorCode = event.errorCode;
    if (event.errorReason) attempt.errorReason = event.errorReason;
    if (event.details) attempt.details = { ...attempt.details, ...event.details };
    if (firstDelivery) {
      ctx.metrics.timeToDelivery.observe({ route: m.route, channel: attempt.channel }, Math.max(0, ctx.clock.now() - Date.parse(m.createdAt)) / 1000);
    }
  }

  const step = m.plan.steps[attempt.step];
  const progress = m.steps[attempt.step];
  const current = m.attempts.filter((a) => a.step === attempt.step).at(-1) === attempt;
  const detail = `${attempt.channel} ${event.status}${event.errorCode ? ` (${event.errorCode}${event.errorReason ? `: ${event.errorReason}` : ''})` : ''}`;
  let outcome: ReceiptOutcome = 'applied';
  if (event.signal) ctx.onSignal(event.signal, { message: m, channel: attempt.channel, provider: instance, to: attempt.to });
  if (attempt.purpose === 'optin') {
    record(ctx, m, { event: 'optin_receipt', step: attempt.step, attempt: attempt.id, cause: detail });
    if (moved && isFailure(attempt.status) && progress.state === 'held') await endStep(ctx, m, attempt.step, 'failed', `consent: the opt-in template failed (${detail} from ${instance})`);
  } else if (progress.state === 'active' && current) {
    record(ctx, m, { event: 'receipt', step: attempt.step, attempt: attempt.id, cause: detail });
    if (moved && meets(step.until, attempt.status)) await endStep(ctx, m, attempt.step, 'succeeded', `${step.until} reached on ${step.channel}`);
    else if (moved && isFailure(attempt.status)) await endStep(ctx, m, attempt.step, 'failed', `${detail} from ${instance}`);
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

/** A repeat of a receipt held in memory: acknowledged only once the first copy is on disk (its commit may have failed). */
async function duplicate(ctx: EngineContext): Promise<ReceiptOutcome> {
  await ctx.store.commit();
  return 'duplicate';
}

/**
 * Applies, in status order, receipts that arrived before the send that made their attempt
 * returned. Called once that attempt's index entry is committed, holding the message's lock.
 */
export async function applyParked(ctx: EngineContext, m: Message, instance: string, providerMessageId: string): Promise<void> {
  const keys = STATUS_ORDER.map((status) => parkedKey(instance, providerMessageId, status));
  const parked = await ctx.store.parked.fetchMany(keys);
  for (const key of keys) {
    const receipt = parked.get(key);
    if (!receipt) continue;
    ctx.store.parked.delete(key);
    await applyStatus(ctx, instance, receipt.event, m.id);
  }
}
