import { ProviderError, fileNameOf, mediaKindOf, type OutboundMessage, type TemplateContent } from '../../src/plugin-api.js';

/** One `NotificationContent` body of `POST /messages/notifications:send`. */
export type NotificationBody = Record<string, unknown> & { channelRegistrationId: string; to: string[]; kind: string };

const invalid = (message: string, providerCode = 'request-invalid') => new ProviderError(message, { reason: 'client', providerCode });

/**
 * A message's template variables as ACS `values` and WhatsApp `bindings`: each variable becomes a
 * text value named after its key (positional ones `1`, `2`, …) and a body parameter, in order.
 *
 * @example templateOf({ name: 'order_update', language: 'en_US', variables: { orderId: 'A123' } }, 'en_US')
 *   // → { name: 'order_update', language: 'en_US', values: [{ kind: 'text', name: 'orderId', text: 'A123' }],
 *   //     bindings: { kind: 'whatsApp', body: [{ refValue: 'orderId' }] } }
 */
export function templateOf(template: TemplateContent, defaultLanguage: string): Record<string, unknown> {
  const vars = template.variables ?? [];
  const entries: [string, string][] = Array.isArray(vars) ? vars.map((v, i) => [String(i + 1), String(v)]) : Object.entries(vars).map(([k, v]) => [k, String(v)]);
  return {
    name: template.name,
    language: template.language ?? defaultLanguage,
    values: entries.map(([name, text]) => ({ kind: 'text', name, text })),
    ...(entries.length > 0 ? { bindings: { kind: 'whatsApp', body: entries.map(([name]) => ({ refValue: name })) } } : {}),
  };
}

/**
 * Text, media (the first URL: one media per ACS message; its kind from the extension, the text
 * as its caption) or a template (WhatsApp only), through the channel's registration.
 */
export function notificationOf(message: OutboundMessage, channelRegistrationId: string, defaultLanguage: string): NotificationBody {
  const base = { channelRegistrationId, to: [message.to] };
  const { text, media, template } = message.content;
  // Templates are WhatsApp's; an SMS step sends the text its content has for SMS.
  if (template && message.channel === 'whatsapp') return { ...base, kind: 'template', template: templateOf(template, defaultLanguage) };
  const url = media?.[0];
  if (url !== undefined && message.channel === 'whatsapp') {
    const kind = mediaKindOf(url);
    const caption = kind === 'audio' || !text ? {} : { caption: text };
    const fileName = kind === 'document' ? { fileName: fileNameOf(url) ?? 'document' } : {};
    return { ...base, kind, mediaUri: url, ...caption, ...fileName };
  }
  if (!text) throw invalid('nothing to send: no text, media or template');
  return { ...base, kind: 'text', content: text };
}
