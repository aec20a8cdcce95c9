import { ProviderError, fileNameOf, mediaKindOf, parseDuration, type OutboundMessage, type TemplateContent } from '../../src/plugin-api.js';
import type { InfobipOptions } from './options.js';

/** One Infobip API call: the path under `baseUrl` and the JSON body. */
export interface InfobipRequest {
  path: string;
  body: Record<string, unknown>;
  /** `single` answers `{messageId, status}`; `bulk` answers `{bulkId, messages: [...]}`. */
  answer: 'single' | 'bulk';
}

const MAX_VALIDITY_MINUTES = 48 * 60;

export const invalid = (message: string, providerCode = 'request-invalid') => new ProviderError(message, { reason: 'client', providerCode });

/** Infobip wants international numbers without the `+`. */
export const digits = (address: string): string => address.trim().replace(/^\+/, '').replace(/^whatsapp:\+?/, '');

/** Template variables as WhatsApp body placeholders, in order: positional as given, named in key order. */
export function placeholders(template: TemplateContent): string[] {
  const vars = template.variables;
  if (vars === undefined) return [];
  return Array.isArray(vars) ? vars.map(String) : Object.values(vars).map(String);
}

/**
 * `POST /sms/3/messages`: one message, one destination whose `messageId` is the attempt id, the
 * delivery report addressed to this instance with the attempt id as `callbackData`.
 */
export function smsRequest(options: InfobipOptions, message: OutboundMessage, notifyUrl: string | undefined): InfobipRequest {
  const text = message.content.text ?? '';
  if (text === '') throw invalid(message.content.template ? 'SMS has no templates; give text' : 'nothing to send: no text');
  const sender = message.from ?? options.from;
  if (sender === undefined) throw invalid(`instance has no SMS sender (from)`, 'no-sender');
  const validityMs = options.validity === undefined ? undefined : parseDuration(options.validity);
  const minutes = validityMs === undefined ? undefined : Math.min(MAX_VALIDITY_MINUTES, Math.max(1, Math.ceil(validityMs / 60_000)));
  return {
    path: '/sms/3/messages',
    answer: 'bulk',
    body: {
      messages: [{
        sender,
        destinations: [{ to: digits(message.to), messageId: message.attemptId }],
        content: { text },
        ...(minutes === undefined ? {} : { options: { validityPeriod: { amount: minutes, timeUnit: 'MINUTES' } } }),
        webhooks: {
          ...(notifyUrl === undefined ? {} : { delivery: { url: notifyUrl }, contentType: 'application/json' }),
          callbackData: message.attemptId,
        },
      }],
    },
  };
}

/** WhatsApp text, media (first URL; the kind from its extension) or template, from `whatsappFrom`. */
export function whatsappRequest(options: InfobipOptions, message: OutboundMessage, notifyUrl: string | undefined): InfobipRequest {
  const from = digits(message.from ?? options.whatsappFrom ?? '');
  if (from === '') throw invalid('instance has no WhatsApp sender (whatsappFrom)', 'no-sender');
  const common = {
    from,
    to: digits(message.to),
    messageId: message.attemptId,
    callbackData: message.attemptId,
    ...(notifyUrl === undefined ? {} : { notifyUrl }),
  };
  const { text, media, template } = message.content;
  if (template) {
    const content = {
      templateName: template.name,
      templateData: { body: { placeholders: placeholders(template) } },
      language: template.language ?? 'en',
    };
    return { path: '/whatsapp/1/message/template', answer: 'bulk', body: { messages: [{ ...common, content }] } };
  }
  const url = media?.[0];
  if (url !== undefined) {
    const kind = mediaKindOf(url);
    const caption = kind === 'audio' || text === undefined || text === '' ? {} : { caption: text };
    const filename = kind === 'document' ? { filename: fileNameOf(url) ?? 'document' } : {};
    return { path: `/whatsapp/1/message/${kind}`, answer: 'single', body: { ...common, content: { mediaUrl: url, ...caption, ...filename } } };
  }
  if (text === undefined || text === '') throw invalid('nothing to send: no text, media or template');
  return { path: '/whatsapp/1/message/text', answer: 'single', body: { ...common, content: { text } } };
}
