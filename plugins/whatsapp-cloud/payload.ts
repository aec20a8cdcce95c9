import { ProviderError, type OutboundMessage, type TemplateContent } from '../../src/plugin-api.js';

/** Cloud API limits: a text body and a media caption. */
export const MAX_TEXT = 4096;
export const MAX_CAPTION = 1024;

type MediaType = 'image' | 'video' | 'audio' | 'document';

// By the link's extension; anything else goes as a document, which WhatsApp accepts for any file type.
const MEDIA_BY_EXTENSION: Readonly<Record<string, MediaType>> = {
  jpg: 'image', jpeg: 'image', png: 'image', webp: 'image',
  mp4: 'video', '3gp': 'video',
  mp3: 'audio', ogg: 'audio', opus: 'audio', aac: 'audio', amr: 'audio', m4a: 'audio',
};

const bare = (address: string): string => address.trim().replace(/^whatsapp:/, '').replace(/[\s().-]/g, '');

const refuse = (message: string): ProviderError => new ProviderError(message, { reason: 'client' });

function mediaTypeOf(link: string): MediaType {
  const path = URL.canParse(link) ? new URL(link).pathname : link;
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return ext !== undefined && Object.hasOwn(MEDIA_BY_EXTENSION, ext) ? MEDIA_BY_EXTENSION[ext] : 'document';
}

/**
 * Template variables as one body component: positional (`["Ann", "3"]`, or `{"1": …, "2": …}`)
 * become ordered text parameters; other names become named parameters (`parameter_name`).
 */
export function templateComponents(variables: TemplateContent['variables']): Record<string, unknown>[] {
  if (variables === undefined) return [];
  const entries = Array.isArray(variables) ? variables.map((v, i) => [String(i + 1), v] as const) : Object.entries(variables);
  if (entries.length === 0) return [];
  const positional = entries.every(([k]) => /^[0-9]+$/.test(k));
  const parameters = positional
    ? [...entries].sort(([a], [b]) => Number(a) - Number(b)).map(([, text]) => ({ type: 'text', text }))
    : entries.map(([name, text]) => ({ type: 'text', parameter_name: name, text }));
  return [{ type: 'body', parameters }];
}

/** The Cloud API wants the number without `+`; a business-scoped user id (`US.1349…`) goes as it is. */
export const recipientOf = (to: string): string => to.trim().replace(/^whatsapp:/, '').replace(/^\+/, '');

/**
 * The `POST /<phone-number-id>/messages` body for one attempt, or a permanent `client`
 * ProviderError for what the Cloud API would refuse anyway:
 * - a template (`name` + `language`, variables → a body component) replaces text and media;
 * - one media link per message (its type from the extension), the text as its caption (audio has none);
 * - text otherwise; `replyTo` becomes `context.message_id` on any of them.
 */
export function buildPayload(message: OutboundMessage, options: { previewUrl: boolean; phoneNumberId: string; from?: string }): Record<string, unknown> {
  if (message.channel !== 'whatsapp') throw refuse(`the WhatsApp Cloud API sends on whatsapp only, not ${message.channel}`);
  // One instance is one phone number id: a message that must leave from another number cannot go here.
  const ours = [options.phoneNumberId, options.from].filter((a) => a !== undefined).map(bare);
  if (message.from !== undefined && !ours.includes(bare(message.from))) {
    throw refuse(`this instance sends from phone number id ${options.phoneNumberId} only, not from ${message.from}`);
  }
  const { content } = message;
  const base: Record<string, unknown> = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: recipientOf(message.to),
    ...(content.replyTo !== undefined ? { context: { message_id: content.replyTo } } : {}),
  };

  if (content.template) {
    const { name, language } = content.template;
    if (language === undefined) throw refuse(`WhatsApp template "${name}" needs a language (an approved template exists per language)`);
    const components = templateComponents(content.template.variables);
    return { ...base, type: 'template', template: { name, language: { code: language.replace('-', '_'), policy: 'deterministic' }, ...(components.length > 0 ? { components } : {}) } };
  }

  const text = content.text ?? '';
  const media = content.media ?? [];
  if (media.length > 1) throw refuse(`the WhatsApp Cloud API sends one media link per message, got ${media.length}`);
  if (media.length === 1) {
    const type = mediaTypeOf(media[0]);
    if (type === 'audio' && text !== '') throw refuse('WhatsApp audio messages carry no caption: send the text as a message of its own');
    if (text.length > MAX_CAPTION) throw refuse(`a WhatsApp media caption holds at most ${MAX_CAPTION} characters, got ${text.length}`);
    return { ...base, type, [type]: { link: media[0], ...(text !== '' ? { caption: text } : {}) } };
  }
  if (text === '') throw refuse('nothing to send on whatsapp: no text, media or template');
  if (text.length > MAX_TEXT) throw refuse(`a WhatsApp text message holds at most ${MAX_TEXT} characters, got ${text.length}`);
  return { ...base, type: 'text', text: { preview_url: options.previewUrl, body: text } };
}
