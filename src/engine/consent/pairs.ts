import type { GatewayConfig } from '../../config/types.js';
import { parseDuration } from '../../config/duration.js';
import type { Message, StepHold } from '../../model.js';
import { normalizeAddress, pairKey } from '../addresses.js';
import { addressFor, stepSender } from '../content.js';
import type { EngineContext } from '../context.js';

/** Meta's customer-service window, when no policy names one. */
export const META_WINDOW_MS = 24 * 3_600_000;

/** The key every change to one (sender, user) pair's consent state is made under, in any instance. */
export const consentKey = (pair: string): string => `consent:${pair}`;

/** A step hold as the consent policy stores it: with the pair it is listed under. */
export interface ConsentStepHold extends StepHold {
  pair: string;
}

/**
 * How long an inbound message keeps a window open: the longest window of any policy. A window
 * belongs to the pair, not to a policy, so the longest one is what every policy may rely on
 * (a policy with a shorter window does not check it again).
 */
export function windowMs(config: GatewayConfig): number {
  const windows = Object.values(config.consent).map((p) => parseDuration(p.window) ?? META_WINDOW_MS);
  return windows.length > 0 ? Math.max(...windows) : META_WINDOW_MS;
}

/**
 * The pair a step sends on: the sender the message names (sender selection), else its current
 * provider's, and the WhatsApp address.
 */
export function stepPair(ctx: EngineContext, m: Message, i: number, address = addressFor(m.to, 'whatsapp') ?? ''): string {
  const provider = m.plan.steps[i].providers[m.steps[i].providerIndex];
  return pairKey(stepSender(m, i) ?? ctx.runtime().senderOf(provider, 'whatsapp'), address);
}

/** The pair a held step is listed under: as stored when it was held (a reload may change senders). */
export function heldPair(ctx: EngineContext, m: Message, i: number, hold: StepHold): string {
  const stored = (hold as Partial<ConsentStepHold>).pair;
  return typeof stored === 'string' ? stored : stepPair(ctx, m, i);
}

// WhatsApp users are phone numbers (E.164, or a WhatsApp id: the digits without `+`).
const USER = /^\+?[0-9]{5,15}$/;

/** Whether `address` (`+1 415…`, `whatsapp:+1415…`) can be a WhatsApp user. */
export const isWhatsAppUser = (address: string): boolean => USER.test(normalizeAddress(address));

/**
 * The pair of an inbound message (`to` is the business sender, `from` the user), or undefined
 * when either side cannot be a WhatsApp address: such a message is stored, and opens nothing.
 */
export function inboundPair(from: unknown, to: unknown): string | undefined {
  if (typeof from !== 'string' || typeof to !== 'string') return undefined;
  const user = normalizeAddress(from);
  const sender = normalizeAddress(to);
  if (!USER.test(user) || sender === '' || /[|\s]/.test(sender)) return undefined;
  return pairKey(sender, user);
}
