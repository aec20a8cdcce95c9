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
