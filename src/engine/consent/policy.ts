import { parseDuration } from '../../config/duration.js';
import type { ConsentPolicyConfig } from '../../config/types.js';
import type { InboundRecord, Message, StepHold } from '../../model.js';
import { pairKey } from '../addresses.js';
import { contentFor } from '../content.js';
import type { EngineContext, GuardDecision, StepGuard } from '../context.js';
import type { Engine } from '../engine.js';
import type { InboundListener } from '../inbound.js';
import { countHeld, listHold, unlistHolds, type ListedHold } from './holds.js';
import { consentKey, heldPair, inboundPair, stepPair, windowMs, type ConsentStepHold } from './pairs.js';
import { optInTemplate } from './templates.js';

/** What the consent policy gives the app: a step guard, an inbound listener, a signal sink, gauges. */
export interface ConsentPolicy {
  guard: StepGuard;
  onInbound: InboundListener;
  onSignal: EngineContext['onSignal'];
  /** Messages held now (the `switchboard_held_messages` gauge). */
  held(): Promise<number>;
}

/** The stored timer that releases a pair's held steps once its user replied. */
const RELEASE = 'consent-release';
const SEND: GuardDecision = { action: 'send' };
const isoAt = (ms: number): string => new Date(ms).toISOString();

/**
 * WhatsApp consent windows (issue 8): a step with `consent: <policy>` sends free-form content only
 * inside the user's 24 h window; outside it the step is held, the opt-in template goes out (once
 * per user per hold period), and the user's reply releases every held step of the pair, oldest
 * first. Every piece of state is a keyed record of the store, changed under `consent:<pair>`.
 *
 * @example
 *   const consent = createConsentPolicy({ ctx, engine });
 *   guards.push(consent.guard); inboundListeners.push(consent.onInbound);
 */
export function createConsentPolicy({ ctx, engine }: { ctx: EngineContext; engine: Engine }): ConsentPolicy {
  const { store, clock, metrics, logger } = ctx;
  const config = () => ctx.runtime().loaded.config;
  const policyNamed = (name: string): ConsentPolicyConfig | undefined => (Object.hasOwn(config().consent, name) ? config().consent[name] : undefined);
  const isOpen = (closesAt: number | undefined): boolean => closesAt !== undefined && closesAt > clock.now();

  const guard: StepGuard = async (m, i, address) => {
    const step = m.plan.steps[i];
    if (step.consent === undefined || step.channel !== 'whatsapp') return SEND;
    const policy = policyNamed(step.consent);
    if (!policy) {
      // A reload removed the policy this in-flight message's route named: nothing to hold it by.
      logger.warn({ messageId: m.id, policy: step.consent }, 'consent: the step names a policy that is no longer configured; sending');
      return SEND;
    }
    // A template may always be sent; it is what reaches a user outside the window.
    if (contentFor(m.content, 'whatsapp').template) return SEND;
    const pair = stepPair(ctx, m, i, address);
    if (isOpen(await store.windows.fetch(pair))) return SEND;
    // Under the pair's key the window is read again: a reply that opened it meanwhile is seen
    // here, or, once this hold is listed, finds it (the reply takes the same key).
    return ctx.exclusive(consentKey(pair), () => holdOrSend(m, i, pair, step.consent!, policy));
  };

  // A hold lists itself under the pair: only routes with a guarded WhatsApp step wait for their accept's commit.
  guard.storesFor = (plan) => plan.steps.some((s) => s.consent !== undefined && s.channel === 'whatsapp');

  async function holdOrSend(m: Message, i: number, pair: string, name: string, policy: ConsentPolicyConfig): Promise<GuardDecision> {
    if (isOpen(await store.windows.fetch(pair))) return SEND;
    const now = clock.now();
    const holdMs = parseDuration(policy.hold) ?? 0;
    const until = now + holdMs;
    await listHold(store, pair, { message: m.id, step: i, at: now, policy: name, until }, now);
    const last = await store.optins.fetch(pair);
    const template = optInTemplate(policy.optIn, m.locale);
    const fresh = !last || last.expiresAt <= now;
    if (fresh) {
      store.optins.set(pair, { messageId: m.id, template: template.name, at: now, expiresAt: now + holdMs });
      metrics.consentOptIns.inc({ policy: name });
    }
    const cause = fresh
      ? `consent: no open WhatsApp window; opt-in template ${template.name} (${template.language}) sent`
      : `consent: no open WhatsApp window; opt-in template ${last.template} already sent at ${isoAt(last.at)}`;
    const hold: ConsentStepHold = { policy: name, until, onExpiry: policy.onExpiry, cause, expiry: `consent: no reply within ${policy.hold}`, pair };
    return { action: 'hold', hold, ...(fresh ? { optIn: { template: { name: template.name, language: template.language } } } : {}) };
  }

  /**
   * A stored WhatsApp message opens its pair's window. Never throws: the inbound is stored and
   * its provider acknowledged whatever happens here, and a retried copy would be dropped as a
   * duplicate, so a failure is logged (what was queued is still committed by the next commit).
   */
  const onInbound: InboundListener = async (record) => {
    if (record.channel !== 'whatsapp') return;
    const pair = inboundPair(record.from, record.to);
    if (!pair) {
      logger.info({ inbound: record.id, instance: record.instance }, 'consent: an inbound WhatsApp message without a usable sender and recipient opens no window');
      return;
    }
    try {
      await openWindow(record, pair);
    } catch (err) {
      logger.error({ err, inbound: record.id, instance: record.instance }, 'consent: opening the WhatsApp window failed');
    }
  };

  async function openWindow(record: InboundRecord, pair: string): Promise<void> {
    await ctx.exclusive(consentKey(pair), async () => {
      const now = clock.now();
      // The provider's receive time, never a future one (a skewed or forged clock).
      const received = Math.min(Date.parse(record.receivedAt) || now, now);
      const closes = Math.max((await store.windows.fetch(pair)) ?? 0, received + windowMs(config()));
      store.windows.set(pair, closes);
      // A stored timer releases the held steps: any instance runs it, and a crash re-fires it.
      if (((await store.holds.fetch(pair)) ?? []).length > 0) ctx.scheduler.schedule(RELEASE, now, { pair }, `${RELEASE}:${pair}`);
      await lateReply(pair, record);
      await store.commit();
    });
  }

  /** The user wrote after a held message expired: the notice goes out once, inside the window just opened. */
  async function lateReply(pair: string, record: InboundRecord): Promise<void> {
    const late = await store.lateReplies.fetch(pair);
    if (!late) return;
    store.lateReplies.delete(pair);
    const text = policyNamed(late.policy)?.lateReply?.text;
    if (late.expiresAt <= clock.now() || text === undefined || !ctx.runtime().providers.has(late.provider)) return;
    const user = pair.slice(pair.indexOf('|') + 1);
    const { message } = await engine.notify({ kind: 'late-reply', channel: 'whatsapp', provider: late.provider, to: user, text });
    metrics.consentLateReplies.inc({ policy: late.policy });
    logger.info({ inbound: record.id, notice: message.id, expired: late.messageId }, 'consent: late reply; notice sent');
  }

  ctx.scheduler.register(RELEASE, async (t) => {
    const pair = String(t.payload.pair);
    // Oldest message first by its id (time-ordered), whatever order instances listed the holds in.
    const listed = (((await store.holds.fetch(pair)) ?? []) as ListedHold[]).sort((x, y) => (x.message === y.message ? x.step - y.step : x.message < y.message ? -1 : 1));
    const closes = await store.windows.fetch(pair);
    const cause = `consent: the user replied; WhatsApp window open until ${closes === undefined ? 'unknown' : isoAt(closes)}`;
    // One after the other, oldest first: each release's send is made before the next one starts.
    for (const h of listed) {
      if (await engine.release(h.message, h.step, cause)) metrics.consentReleases.inc({ policy: h.policy ?? 'unknown' });
    }
    await ctx.exclusive(consentKey(pair), async () => {
      await unlistHolds(store, pair, listed, clock.now());
      await store.commit();
    });
  });

  engine.onHoldEnded(async (m, i, hold, state) => {
    const pair = heldPair(ctx, m, i, hold);
    await ctx.exclusive(consentKey(pair), async () => {
      await unlistHolds(store, pair, [{ message: m.id, step: i }], clock.now());
      // A template that failed reached nobody: the next message to this user sends one again.
      if (state === 'failed' && (await store.optins.fetch(pair))?.messageId === m.id) store.optins.delete(pair);
    });
    if (state === 'timed_out' || state === 'expired') await holdRanOut(m, i, hold);
  });

  /** A hold that ran out: counted, and the user's next reply gets the late-reply notice once. */
  async function holdRanOut(m: Message, i: number, hold: StepHold): Promise<void> {
    metrics.consentExpiries.inc({ policy: hold.policy, outcome: hold.onExpiry });
    if (!policyNamed(hold.policy)?.lateReply) return;
    const pair = heldPair(ctx, m, i, hold);
    const provider = m.plan.steps[i].providers[m.steps[i].providerIndex];
    // Remembered for one window: a user writing back days later is not answering this message.
    const expiresAt = clock.now() + windowMs(config());
    await ctx.exclusive(consentKey(pair), async () => {
      store.lateReplies.set(pair, { policy: hold.policy, provider, messageId: m.id, expiresAt });
    });
  }

  return {
    guard,
    onInbound,
    onSignal(signal, about) {
      // Meta refused free-form content: the window is closed, whatever we had recorded.
      if (signal !== 'outside_window' || about.channel !== 'whatsapp') return;
      store.windows.delete(pairKey(ctx.runtime().senderOf(about.provider, 'whatsapp'), about.to));
    },
    held: () => countHeld(store, clock.now()),
  };
}
