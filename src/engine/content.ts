import type { Message, MessageContent } from '../model.js';
import { normalizeAddress } from './addresses.js';
import type { Channel, ResolvedContent } from '../plugin-api.js';

/** The address a step on `channel` sends to; MMS falls back to the SMS number. */
export function addressFor(to: Message['to'], channel: Channel): string | undefined {
  if (channel === 'mms') return to.mms ?? to.sms;
  return to[channel];
}

/** The content for one channel: the shared fields with that channel's overrides laid over them. */
export function contentFor(content: MessageContent, channel: Channel): ResolvedContent {
  const { channels, ...shared } = content;
  return { ...shared, ...(channels?.[channel] ?? {}) };
}

/** The business sender step `i` must leave from: the step's own `from`, else the message's (both normalized). */
export function stepSender(m: Message, i: number): string | undefined {
  const from = m.plan.steps[i]?.from;
  return from !== undefined ? normalizeAddress(from) : m.from;
}

/** Whether `provider` may take step `i` of `m`: it sends from the step's sender, or the step names none. */
export function mayTake(m: Message, i: number, provider: string, maySendFrom: (instance: string, channel: Channel, sender: string) => boolean): boolean {
  const from = stepSender(m, i);
  return from === undefined || maySendFrom(provider, m.plan.steps[i].channel, from);
}
