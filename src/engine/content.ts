import type { Message, MessageContent } from '../model.js';
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
