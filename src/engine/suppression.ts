import type { Message, SuppressionEntry } from '../model.js';
import type { EngineContext, StepGuard } from './context.js';
import type { Engine } from './engine.js';
import type { InboundListener } from './inbound.js';
import { normalizeAddress } from './addresses.js';
import { stepSender } from './content.js';
import { createSuppressionEntries, type SuppressionEntries } from './suppression/entries.js';
import { NOTICE_KINDS, createKeywordListener } from './suppression/inbound.js';
import { skipReason, suppressionChannel, suppressionKey } from './suppression/keys.js';

export type { SuppressionFilter, SuppressionRef } from './suppression/entries.js';

/** What suppression gives the app: a step guard, an inbound listener, a signal sink, gauges, and the list for the API. */
export interface Suppression {
  guard: StepGuard;
  onInbound: InboundListener;
  onSignal: EngineContext['onSignal'];
  /** Entries by channel (the `switchboard_suppression_list_size` gauge). */
  sizes(): Promise<ReadonlyMap<string, number>>;
  /** `GET/POST/DELETE /v1/suppressions` read and change the list through these. */
  entries: Omit<SuppressionEntries, 'changeOne' | 'sizes'>;
}

const EXEMPT_ROUTES: ReadonlySet<string> = new Set(Object.values(NOTICE_KINDS).map((kind) => `system:${kind}`));

// A group message (`+1…,+1…`) is suppressed when any of its recipients is.
const recipients = (to: string): string[] => to.split(',').map((r) => r.trim()).filter((r) => r !== '');

/**
 * Opt-outs per (channel, business sender, user): STOP/START/HELP keywords from inbound messages,
 * opt-out errors and receipts from providers (Twilio 21610, Bandwidth 4775), and operators through
 * the API. A step whose first provider's sender the user opted out of is skipped and recorded,
 * and the route goes on. See docs/suppression.md.
 *
 * @example
 *   const suppression = createSuppression({ ctx, engine });
 *   guards.push(suppression.guard); inboundListeners.push(suppression.onInbound); signalSinks.push(suppression.onSignal);
 */
export function createSuppression(deps: { ctx: EngineContext; engine: Engine }): Suppression {
  const { ctx } = deps;
  const entries = createSuppressionEntries(ctx);

  const guard: StepGuard = async (m, i, address) => {
    // Its own HELP answers and confirmations go to users who may have just opted out.
    if (EXEMPT_ROUTES.has(m.route)) return { action: 'send' };
    const step = m.plan.steps[i];
    // The sender the message names (a reply from the number the user wrote to), else the step's first provider's.
    const sender = stepSender(m, i) ?? ctx.runtime().senderOf(step.providers[0], step.channel);
    const keys = recipients(address).map((to) => suppressionKey(step.channel, sender, to));
    const found = await ctx.store.suppressions.fetchMany(keys);
    const entry = keys.map((k) => found.get(k)).find((e): e is SuppressionEntry => e !== undefined);
    if (!entry) return { action: 'send' };
    ctx.metrics.suppressedSteps.inc({ route: m.route, channel: step.channel });
    return { action: 'skip', reason: skipReason(entry) };
  };
  // It only reads: a message routes within its accept's commit whatever the list holds.
  guard.storesFor = () => false;

  /** The attempt a signal is about: the newest one of that provider to that address. */
  const attemptOf = (m: Message, provider: string, to: string) => [...m.attempts].reverse().find((a) => a.provider === provider && a.to === to);

  const onSignal: EngineContext['onSignal'] = (signal, about) => {
    if (signal !== 'opted_out') return;
    try {
      const attempt = attemptOf(about.message, about.provider, about.to);
      // A group attempt's receipt names its one recipient (Bandwidth `details.recipient`); without it nobody can be picked.
      const named = attempt?.details?.recipient;
      const users = recipients(about.to).length === 1 ? [about.to] : typeof named === 'string' ? [named] : [];
      const sender = (attempt ? stepSender(about.message, attempt.step) : about.message.from) ?? ctx.runtime().senderOf(about.provider, about.channel);
      for (const user of users) {
        const key = suppressionKey(about.channel, sender, user);
        // Set with the message's own commit (the caller holds its lock); an entry already here keeps its first reason.
        if (ctx.store.suppressions.get(key)) continue;
        ctx.store.suppressions.set(key, {
          channel: suppressionChannel(about.channel),
          sender,
          address: normalizeAddress(user),
          source: 'provider',
          detail: `${attempt?.errorCode ?? 'opted out'} from ${about.provider}`,
          at: new Date(ctx.clock.now()).toISOString(),
        });
      }
      ctx.logger.info({ provider: about.provider, channel: about.channel, messageId: about.message.id }, 'suppression: the provider reported an opt-out');
    } catch (err) {
      // The message's own outcome must still be applied: a signal is extra news, never a reason to fail.
      ctx.logger.error({ err, messageId: about.message.id }, 'suppression: recording a provider opt-out failed');
    }
  };

  const { changeOne: _changeOne, sizes, ...api } = entries;
  return { guard, onInbound: createKeywordListener({ ctx, engine: deps.engine, entries }), onSignal, sizes, entries: api };
}
