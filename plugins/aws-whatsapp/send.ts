import { ProviderError, type OutboundMessage, type TemplateContent } from '../../src/plugin-api.js';

const refuse = (message: string): ProviderError => new ProviderError(message, { reason: 'client' });

type MediaKind = 'image' | 'video' | 'audio' | 'document';

// Meta's media types by file extension; anything else goes as a document, which takes every type.
const KIND_BY_EXTENSION: Readonly<Record<string, MediaKind>> = {
  jpg: 'image', jpeg: 'image', png: 'image', webp: 'image',
  mp4: 'video', '3gp': 'video',
  mp3: 'audio', ogg: 'audio', aac: 'audio', amr: 'audio', m4a: 'audio',
};

function mediaKind(url: string): MediaKind {
  const ext = /\.([a-z0-9]+)$/i.exec(URL.canParse(url) ? new URL(url).pathname : url)?.[1]?.toLowerCase();
  return ext !== undefined && Object.hasOwn(KIND_BY_EXTENSION, ext) ? KIND_BY_EXTENSION[ext] : 'document';
}

/** Positional variables fill `{{1}}…`; named ones fill `{{name}}` (Meta's named parameters). */
function bodyParameters(variables: TemplateContent['variables']): Record<string, string>[] {
  if (variables === undefined) return [];
  if (Array.isArray(variables)) return variables.map((text) => ({ type: 'text', text }));
  return Object.entries(variables).map(([name, text]) => ({ type: 'text', parameter_name: name, text }));
}

/**
 * Meta's Cloud API message JSON for one attempt (what `SendWhatsAppMessage` carries as bytes):
 * a template, one media item (its caption the text), or text; or a permanent `client`
 * ProviderError for what WhatsApp would refuse anyway.
 */
export function buildWhatsAppMessage(message: OutboundMessage, templateLanguage: string): Record<string, unknown> {
  if (message.channel !== 'whatsapp') throw refuse(`End User Messaging Social sends whatsapp, not ${message.channel}`);
  const base = { messaging_product: 'whatsapp', recipient_type: 'individual', to: message.to };
  const { template, media = [], text = '' } = message.content;
  if (template) {
    const parameters = bodyParameters(template.variables);
    return {
      ...base,
      type: 'template',
      template: { name: template.name, language: { code: template.language ?? templateLanguage, policy: 'deterministic' }, ...(parameters.length > 0 ? { components: [{ type: 'body', parameters }] } : {}) },
    };
  }
  if (media.length > 1) throw refuse(`a WhatsApp message carries one media item, got ${media.length}`);
  if (media.length === 1) {
    const kind = mediaKind(media[0]);
    // Audio takes no caption; the text would be lost without a word, so it is refused instead.
    if (kind === 'audio' && text !== '') throw refuse('a WhatsApp audio message cannot carry text');
    return { ...base, type: kind, [kind]: { link: media[0], ...(text !== '' && kind !== 'audio' ? { caption: text } : {}) } };
  }
  if (text === '') throw refuse('nothing to send on whatsapp: no text, media or template');
  return { ...base, type: 'text', text: { body: text, preview_url: false } };
}
