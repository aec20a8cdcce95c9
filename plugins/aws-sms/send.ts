import type { SendTextMessageCommandInput } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { ProviderError, parseDuration, type OutboundMessage } from '../../src/plugin-api.js';
import type { AwsSmsOptions } from './options.js';

/** The `Context` keys AWS echoes in every event as `context`, so an event can be traced to its attempt. */
export const CONTEXT_ATTEMPT = 'switchboardAttempt';
export const CONTEXT_MESSAGE = 'switchboardMessage';

// AWS's own bounds for TimeToLive, in seconds.
const TTL_MIN_S = 5;
const TTL_MAX_S = 259_200;
const MAX_BODY = 1600;

const refuse = (message: string): ProviderError => new ProviderError(message, { reason: 'client' });

/**
 * The `SendTextMessage` request for one attempt, or a permanent `client` ProviderError for what AWS
 * would refuse anyway. A template is not an SMS concept: its name and variables are not sent.
 */
export function buildSendText(message: OutboundMessage, options: AwsSmsOptions): SendTextMessageCommandInput {
  if (message.channel !== 'sms') throw refuse(`End User Messaging SMS sends sms, not ${message.channel}`);
  if (message.to.includes(',')) throw refuse('End User Messaging SMS sends to one number at a time; group messages are not supported');
  const text = message.content.text ?? '';
  if (text === '') throw refuse('nothing to send: an SMS needs text');
  if (text.length > MAX_BODY) throw refuse(`an SMS may have at most ${MAX_BODY} characters, got ${text.length}`);
  const ttlMs = options.ttl !== undefined ? parseDuration(options.ttl) : undefined;
  const configurationSet = message.content.configurationSet ?? options.configurationSet;
  return {
    DestinationPhoneNumber: message.to,
    OriginationIdentity: message.from ?? options.originationIdentity,
    MessageBody: text,
    MessageType: message.content.messageType !== undefined ? (message.content.messageType.toUpperCase() as 'TRANSACTIONAL' | 'PROMOTIONAL') : options.messageType,
    ...(configurationSet !== undefined ? { ConfigurationSetName: configurationSet } : {}),
    ...(options.maxPrice !== undefined ? { MaxPrice: options.maxPrice } : {}),
    ...(ttlMs !== undefined ? { TimeToLive: Math.min(TTL_MAX_S, Math.max(TTL_MIN_S, Math.round(ttlMs / 1000))) } : {}),
    ...(options.keyword !== undefined ? { Keyword: options.keyword } : {}),
    Context: { [CONTEXT_ATTEMPT]: message.attemptId, [CONTEXT_MESSAGE]: message.messageId },
  };
}
