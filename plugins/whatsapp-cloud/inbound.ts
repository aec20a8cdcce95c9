import type { InboundEvent } from '../../src/plugin-api.js';
import { isObject, str, type Json } from './json.js';

const MEDIA_TYPES = new Set(['image', 'video', 'audio', 'document', 'sticker']);

/** A Unix-seconds string (Meta's `timestamp`) as ISO 8601, or undefined when it is not one. */
export function isoOf(seconds: unknown): string | undefined {
  const n = typeof seconds === 'string' && /^[0-9]{1,12}$/.test(seconds) ? Number(seconds) * 1000 : NaN;
  return Number.isFinite(n) ? new Date(n).toISOString() : undefined;
}

/**
 * A WhatsApp user as the gateway spells it: a `wa_id` is the number without `+`, so it gains one
 * (the window an inbound opens must be the one an outbound to `+1…` looks up); a business-scoped
 * user id (`US.1349…`) stays as it is.
 */
export const userOf = (waId: string): string => (/^[0-9]{5,15}$/.test(waId) ? `+${waId}` : waId);

/** The text and details one message type carries: buttons and list replies read as their title. */
function contentOf(type: string, m: Json): { text?: string; details: Json } {
  const part = isObject(m[type]) ? (m[type] as Json) : {};
  if (type === 'text') return { text: str(part.body), details: {} };
  if (MEDIA_TYPES.has(type)) {
    const media = { type, id: str(part.id), mimeType: str(part.mime_type), sha256: str(part.sha256), filename: str(part.filename) };
    return { text: str(part.caption), details: { media: [media] } };
  }
  if (type === 'button') return { text: str(part.text), details: { button: { payload: str(part.payload) } } };
  if (type === 'interactive') {
    const kind = str(part.type) ?? 'unknown';
    const reply = isObject(part[kind]) ? (part[kind] as Json) : {};
    return { text: str(reply.title), details: { interactive: { type: kind, id: str(reply.id), title: str(reply.title), description: str(reply.description) } } };
  }
  if (type === 'reaction') return { text: str(part.emoji), details: { reaction: { messageId: str(part.message_id) } } };
  if (type === 'location') {
    const words = [str(part.name), str(part.address)].filter((w) => w !== undefined).join(', ');
    return { text: words || undefined, details: { location: { latitude: part.latitude, longitude: part.longitude } } };
  }
  return { details: {} };
}

/**
 * One `messages[]` entry as an inbound event, or a reason it is not one. Every type counts,
 * unsupported ones included: any message from the user opens the customer-service window.
 */
export function inboundEvent(m: Json, to: string, extra: Json): InboundEvent | string {
  const from = str(m.from);
  const id = str(m.id);
  const type = str(m.type);
  if (!from || !id || !type) return 'a message needs from, id and type';
  const { text, details } = contentOf(type, m);
  const context = isObject(m.context) ? str(m.context.id) : undefined;
  const receivedAt = isoOf(m.timestamp);
  return {
    type: 'inbound',
    channel: 'whatsapp',
    from: userOf(from),
    to,
    ...(text !== undefined ? { text } : {}),
    providerMessageId: id,
    ...(receivedAt ? { receivedAt } : {}),
    details: { whatsappType: type, ...extra, ...details, ...(context ? { replyTo: context } : {}) },
  };
}
