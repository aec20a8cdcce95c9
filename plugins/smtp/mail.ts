import type { SendMailOptions } from 'nodemailer';
import { ProviderError, type OutboundMessage } from '../../src/plugin-api.js';
import { messageIdDomain, type SmtpOptions } from './options.js';

/** Headers that carry the gateway's ids, so a bounce or a reply can be matched to its attempt. */
export const ATTEMPT_HEADER = 'X-Switchboard-Attempt';
export const MESSAGE_HEADER = 'X-Switchboard-Message';

/** `<attempt id@domain>`: bounces quote the Message-ID, and this one names the attempt. */
export const messageIdOf = (attemptId: string, options: Pick<SmtpOptions, 'from' | 'messageIdDomain'>): string =>
  `<${attemptId}@${messageIdDomain(options)}>`;

/**
 * The nodemailer message for one attempt: text and/or HTML, the attempt id in the Message-ID and
 * a header, and `In-Reply-To` when the content answers an earlier Message-ID. Media links and
 * templates have no SMTP form, so content with nothing else is refused (permanent).
 */
export function mailOf(message: OutboundMessage, options: SmtpOptions): SendMailOptions {
  const { content } = message;
  if (message.channel !== 'email') throw new ProviderError(`SMTP sends email only, not ${message.channel}`, { reason: 'client' });
  if (!content.text && !content.html) {
    throw new ProviderError(`nothing to send by email: ${content.template ? 'SMTP has no templates; give text or html' : 'no text or html'}`, { reason: 'client' });
  }
  const replyTo = content.replyTo !== undefined && /^<[^<>\s]+@[^<>\s]+>$/.test(content.replyTo) ? content.replyTo : undefined;
  return {
    from: message.from ?? options.from,
    to: message.to,
    ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {}),
    subject: content.subject ?? '',
    ...(content.text ? { text: content.text } : {}),
    ...(content.html ? { html: content.html } : {}),
    messageId: messageIdOf(message.attemptId, options),
    ...(replyTo ? { inReplyTo: replyTo, references: [replyTo] } : {}),
    headers: { [ATTEMPT_HEADER]: message.attemptId, [MESSAGE_HEADER]: message.messageId },
  };
}
