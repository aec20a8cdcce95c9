import { AppError, ProviderError } from '../errors.js';
import { logProviderFailure } from '../log/provider-failure.js';
import type { BridgeConfig } from '../config/types.js';
import type { JobOutcome, JobQueue } from '../jobs/queue.js';
import type { Conversation, InboundRecord } from '../model.js';
import { isContactCenter, type AgentEvent, type ContactCenter } from '../plugin-api.js';
import { normalizeAddress } from './addresses.js';
import { iso, type EngineContext } from './context.js';
import type { Engine, SendRequest } from './engine.js';
import { SEND_CEILING_MS } from './send.js';
import { withDeadline } from '../plugin-kit/deadline.js';

export interface BridgeDeps {
  ctx: EngineContext;
  engine: Engine;
  jobs: JobQueue;
}

// A conversation nobody wrote in for this long is forgotten.
const CONVERSATION_TTL_MS = 30 * 86_400_000;
// How long an agent event's id is remembered: contact centers redeliver within minutes.
const EVENT_DEDUP_MS = 24 * 3_600_000;
// A known conversation is written again only when it changed or its expiry moved by this much:
// a customer writing often costs one read per message, not two writes.
const CONVERSATION_REFRESH_MS = 86_400_000;

const pairKey = (customer: string, business: string) => `pair:${normalizeAddress(customer)}|${normalizeAddress(business)}`;
const idKey = (contactCenter: string, conversationId: string) => `id:${contactCenter}/${conversationId}`;

/** Whether a stored conversation already says all a delivery would write, with an expiry recent enough to keep. */
function isCurrent(known: Conversation, next: Pick<Conversation, 'bridge' | 'contactCenter' | 'channel' | 'provider' | 'conversationId'>, now: number): boolean {
  return known.bridge === next.bridge && known.contactCenter === next.contactCenter && known.channel === next.channel
    && known.provider === next.provider && known.conversationId === next.conversationId
    && known.expiresAt >= now + CONVERSATION_TTL_MS - CONVERSATION_REFRESH_MS;
}

/** A customer address as a route's `to`: phone numbers reach SMS and WhatsApp steps, anything else WhatsApp. */
const customerTo = (customer: string): SendRequest['to'] => (/^\+[1-9][0-9]{6,14}$/.test(customer) ? { phone: customer } : { whatsapp: customer });

/**
 * Bridges: customer messages that an inbound rule sends to a bridge are delivered to its contact
 * center by a stored job (retried, dead-lettered, replayable); agent and bot replies from the
 * contact center's webhook go out through the bridge's reply route, from the business number the
 * customer wrote to. The conversation id the contact center gives is kept per (customer, number).
 *
 * @example
 *   const bridge = createBridge({ ctx, engine, jobs });
 *   rules.bridge = bridge.toContactCenter; // inbound rule action
 *   await bridge.fromContactCenter('avaya', agentEvent); // webhook event
 */
export function createBridge(deps: BridgeDeps) {
  const { ctx, engine, jobs } = deps;
  const bridges = () => ctx.runtime().loaded.config.bridges;
  const count = (bridge: string, direction: 'to_contact_center' | 'to_customer', result: string) => ctx.metrics.bridged.inc({ bridge, direction, result });

  function contactCenterOf(bridge: BridgeConfig): ContactCenter | undefined {
    const instance: unknown = ctx.runtime().providers.get(bridge.contactCenter);
    return isContactCenter(instance) ? instance : undefined;
  }

  async function deliver(inboundId: string, bridgeName: string): Promise<JobOutcome> {
    const bridge = Object.hasOwn(bridges(), bridgeName) ? bridges()[bridgeName] : undefined;
    const cc = bridge && contactCenterOf(bridge);
    if (!bridge || !cc) return { ok: false, retryable: false, error: `bridge ${bridgeName} or its contact center is no longer configured` };
    const record = await ctx.store.inbound.get(inboundId);
    if (!record) return { ok: false, retryable: false, error: `inbound message ${inboundId} is gone` };
    const key = pairKey(record.from, record.to);
    const known = await ctx.store.conversations.fetch(key);
    try {
      const receipt = await withDeadline(SEND_CEILING_MS, (signal) => cc.deliver({
        inboundId: record.id, providerMessageId: record.providerMessageId, receivedAt: record.receivedAt,
        provider: record.instance, channel: record.channel, from: record.from, to: record.to,
        ...(record.text !== undefined ? { text: record.text } : {}), ...(record.media ? { media: record.media } : {}),
        ...(known?.conversationId ? { conversationId: known.conversationId } : {}),
      }, { signal }));
      const now = ctx.clock.now();
      const conversationId = receipt.conversationId ?? known?.conversationId;
      if (known && isCurrent(known, { bridge: bridgeName, contactCenter: bridge.contactCenter, channel: record.channel, provider: record.instance, conversationId }, now)) return { ok: true };
      const conversation: Conversation = {
        bridge: bridgeName, contactCenter: bridge.contactCenter, customer: normalizeAddress(record.from), business: normalizeAddress(record.to),
        channel: record.channel, provider: record.instance, at: iso(ctx), expiresAt: now + CONVERSATION_TTL_MS,
        ...(conversationId ? { conversationId } : {}),
      };
      ctx.store.conversations.set(key, conversation);
      if (conversationId) ctx.store.conversations.set(idKey(bridge.contactCenter, conversationId), conversation);
      return { ok: true };
    } catch (err) {
      const e = err instanceof ProviderError ? err : new ProviderError((err as Error).message, { reason: 'server', cause: err });
      ctx.metrics.providerErrors.inc({ provider: bridge.contactCenter, reason: e.reason });
      logProviderFailure(ctx.logger, { provider: bridge.contactCenter, operation: 'deliver', inboundId }, e);
      return { ok: false, retryable: e.retryable, error: `${bridge.contactCenter}: ${e.message}`, ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}) };
    }
  }

  jobs.register('contact-center', {
    perform: async (job) => {
      const outcome = await deliver(job.messageId, job.target ?? '');
      count(job.target ?? '', 'to_contact_center', outcome.ok ? 'delivered' : outcome.retryable ? 'retry' : 'failed');
      return outcome;
    },
  });

  // Per loaded config (a reload brings a new `bridges` object): each contact center's bridges, and
  // the first of them owning each business number, so an agent event looks its bridge up once.
  const owners = new WeakMap<object, Map<string, { own: [string, BridgeConfig][]; byNumber: Map<string, [string, BridgeConfig]> }>>();
  function ownersOf(instance: string) {
    const all = bridges();
    let byInstance = owners.get(all);
    if (!byInstance) owners.set(all, (byInstance = new Map()));
    let found = byInstance.get(instance);
    if (!found) {
      const own = Object.entries(all).filter(([, b]) => b.contactCenter === instance);
      const byNumber = new Map<string, [string, BridgeConfig]>();
      for (const entry of own) for (const n of entry[1].numbers) if (!byNumber.has(normalizeAddress(n))) byNumber.set(normalizeAddress(n), entry);
      byInstance.set(instance, (found = { own, byNumber }));
    }
    return found;
  }

  /** Which bridge an agent event of `instance` belongs to: the one joining it to the event's business number. */
  async function bridgeFor(instance: string, event: AgentEvent): Promise<{ name: string; bridge: BridgeConfig; business: string } | undefined> {
    const { own, byNumber } = ownersOf(instance);
    const owning = (address: string | undefined) => {
      if (address === undefined) return undefined;
      const business = normalizeAddress(address);
      const found = byNumber.get(business);
      return found && { name: found[0], bridge: found[1], business };
    };
    // A reply names the business number as its sender (then the conversation is not read); an
    // echo of the customer's message names it as its recipient.
    const bySender = owning(event.from);
    if (bySender) return bySender;
    const conversation = event.conversationId ? await ctx.store.conversations.fetch(idKey(instance, event.conversationId)) : undefined;
    const found = owning(conversation?.business) ?? owning(event.to);
    if (found) return found;
    // A contact center that names no number answers on its bridge's only one.
    if (event.from === undefined && !conversation && own.length === 1 && own[0][1].numbers.length === 1) {
      return { name: own[0][0], bridge: own[0][1], business: normalizeAddress(own[0][1].numbers[0]) };
    }
    return undefined;
  }

  return {
    /**
     * An inbound rule's `bridge` action: queues the delivery, durable with the commit that ends the
     * listeners' run. No commit of its own: that commit
     * also drops the record's inbound-effects job, so the webhook's answer waits for one commit, and
     * a crash before it leaves that job to run the rules (and queue this delivery) again after the
     * restart — never one without the other.
     */
    toContactCenter(record: InboundRecord, bridgeName: string): void {
      jobs.enqueue('contact-center', { messageId: record.id, body: '', target: bridgeName });
    },

    /**
     * An event from a contact center's webhook: agent and bot replies (as the bridge's `forward`
     * says) go to the customer through the reply route; others are acknowledged and dropped. The
     * same event id is handled once. Returns the webhook metric's result label.
     */
    async fromContactCenter(instance: string, event: AgentEvent): Promise<string> {
      const found = await bridgeFor(instance, event);
      if (!found) throw new AppError('validation_failed', `no bridge joins ${instance} to the business number ${event.from ?? '(none given)'}`);
      const { name, bridge, business } = found;
      if (!bridge.forward.includes(event.senderType)) {
        count(name, 'to_customer', 'skipped');
        return 'skipped';
      }
      const key = `cc:${instance}/${event.eventId}`;
      return ctx.exclusive(key, async () => {
        if ((await ctx.store.seen.fetch(key)) !== undefined) {
          await ctx.store.commit();
          return 'duplicate';
        }
        ctx.store.seen.set(key, ctx.clock.now() + EVENT_DEDUP_MS);
        // The message and the event's seen key commit together: a redelivery after a crash finds either both or neither.
        try {
          await engine.accept({ route: bridge.reply.route, to: customerTo(event.to), content: { text: event.text }, from: business, tags: { bridge: name } });
        } catch (err) {
          ctx.store.seen.delete(key);
          throw err;
        }
        count(name, 'to_customer', 'accepted');
        return 'stored';
      });
    },
  };
}

export type Bridge = ReturnType<typeof createBridge>;
