import { ProviderError, smsSegments, type Channel, type OutboundMessage, type TemplateContent } from '../../src/plugin-api.js';
import type { MessageListInstanceCreateOptions } from 'twilio/lib/rest/api/v2010/account/message.js';

/** Twilio's documented limits (SDK doc comments on `MessageListInstanceCreateOptions`). */
export const MAX_MEDIA = 10;
export const MAX_BODY = 1600;

const WHATSAPP_PREFIX = 'whatsapp:';
const CONTENT_SID = /^HX[0-9a-fA-F]{32}$/;

/** The senders and channels one instance may use, resolved once from its options. */
export interface SendContext {
  channels: readonly Channel[];
  from?: string;
  whatsappFrom?: string;
  messagingServiceSid?: string;
}

export const stripWhatsApp = (address: string): string =>
  address.startsWith(WHATSAPP_PREFIX) ? address.slice(WHATSAPP_PREFIX.length) : address;

const onChannel = (channel: Channel, address: string): string =>
  channel === 'whatsapp' ? `${WHATSAPP_PREFIX}${stripWhatsApp(address)}` : stripWhatsApp(address);

const refuse = (message: string): ProviderError => new ProviderError(message, { reason: 'client' });

/** Positional variables become Twilio's `{"1": …, "2": …}`; named ones pass through. */
function contentVariables(variables: TemplateContent['variables']): string | undefined {
  if (variables === undefined) return undefined;
  const named = Array.isArray(variables) ? Object.fromEntries(variables.map((v, i) => [String(i + 1), v])) : variables;
  return JSON.stringify(named);
}

/**
 * Builds the `messages.create` parameters for one attempt, or throws a permanent `client`
 * ProviderError for what Twilio would refuse anyway, so no request is spent on it.
 *
 * - `sms` sends the text only (media is dropped: an MMS costs more than the route asked for);
 * - `mms` and `whatsapp` send text and up to {@link MAX_MEDIA} `MediaUrl`s;
 * - a template is a Content SID (`HX…`) in `template.name`; it replaces text and media.
 */
export function buildCreateParams(message: OutboundMessage, ctx: SendContext, statusCallback: string | undefined): MessageListInstanceCreateOptions {
  const { channel, content } = message;
  if (!ctx.channels.includes(channel)) {
    throw refuse(`this Twilio instance does not send on ${channel} (channels: ${ctx.channels.join(', ')})`);
  }
  const sender = message.from ?? (channel === 'whatsapp' ? (ctx.whatsappFrom ?? ctx.from) : ctx.from);
  const params: MessageListInstanceCreateOptions = {
    to: onChannel(channel, message.to),
    ...(sender !== undefined ? { from: onChannel(channel, sender) } : {}),
    ...(ctx.messagingServiceSid !== undefined ? { messagingServiceSid: ctx.messagingServiceSid } : {}),
    ...(statusCallback !== undefined ? { statusCallback } : {}),
  };

  if (content.template) {
    if (!CONTENT_SID.test(content.template.name)) {
      throw refuse(`template "${content.template.name}" is not a Twilio Content SID (HX followed by 32 hex digits)`);
    }
    const variables = contentVariables(content.template.variables);
    return { ...params, contentSid: content.template.name, ...(variables !== undefined ? { contentVariables: variables } : {}) };
  }

  const media = channel === 'sms' ? [] : (content.media ?? []);
  if (media.length > MAX_MEDIA) throw refuse(`Twilio accepts at most ${MAX_MEDIA} media URLs per message, got ${media.length}`);
  const text = content.text ?? '';
  if (text.length > MAX_BODY) throw refuse(`Twilio accepts at most ${MAX_BODY} characters of text, got ${text.length}`);
  if (text === '' && media.length === 0) throw refuse(`nothing to send on ${channel}: no text, media or template`);

  return { ...params, ...(text !== '' ? { body: text } : {}), ...(media.length > 0 ? { mediaUrl: [...media] } : {}) };
}

/** Facts kept on the attempt: what an SMS costs in segments, what was attached. */
export function receiptDetails(channel: Channel, params: MessageListInstanceCreateOptions, twilioStatus: string): Record<string, unknown> {
  const details: Record<string, unknown> = { twilioStatus };
  if (params.contentSid) details.contentSid = params.contentSid;
  if (channel === 'sms' && params.body !== undefined) {
    const { segments, encoding } = smsSegments(params.body);
    Object.assign(details, { segments, encoding });
  }
  if (params.mediaUrl) details.mediaCount = params.mediaUrl.length;
  return details;
}
