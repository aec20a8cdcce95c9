import type { InboundEvent } from '../../src/plugin-api.js';
import { isObject, str, type Json } from './json.js';

/** Infobip reports numbers as digits; the gateway keeps E.164. */
const e164 = (v: string): string => (/^[1-9][0-9]{5,14}$/.test(v) ? `+${v}` : v);

/** A WhatsApp message object → its text, media and what kind it was; replies become text with details. */
function whatsappContent(message: Json): { text?: string; media?: string[]; details: Json } {
  const type = (str(message.type) ?? 'UNKNOWN').toUpperCase();
  const details: Json = { infobipType: type };
  const url = str(message.url);
  if (type === 'BUTTON') return { text: str(message.text), details: { ...details, payload: message.payload } };
  if (type.startsWith('INTERACTIVE_')) {
    // INTERACTIVE_BUTTON_REPLY / INTERACTIVE_LIST_REPLY: the title is what the user saw and tapped.
    return { text: str(message.title) ?? str(message.text), details: { ...details, replyId: message.id, ...(str(message.description) ? { description: message.description } : {}) } };
  }
  return { text: str(message.text) ?? str(message.caption), ...(url ? { media: [url] } : {}), details };
}

/**
 * One inbound result — SMS (`text`, `keyword`) or WhatsApp (`integrationType: WHATSAPP`, a
 * `message` object) — as an inbound event, or the reason it is not one.
 */
export function inboundEvent(item: Json): InboundEvent | string {
  const id = str(item.messageId);
  const from = str(item.from);
  const to = str(item.to);
  if (!id || !from || !to) return 'an inbound message needs messageId, from and to';
  const whatsapp = str(item.integrationType)?.toUpperCase() === 'WHATSAPP' || isObject(item.message);
  const receivedAt = str(item.receivedAt);
  const base = { type: 'inbound' as const, from: e164(from), to: e164(to), providerMessageId: id, ...(receivedAt ? { receivedAt } : {}) };
  if (whatsapp) {
    const { text, media, details } = whatsappContent(isObject(item.message) ? item.message : {});
    const name = isObject(item.contact) ? str(item.contact.name) : undefined;
    return { ...base, channel: 'whatsapp', ...(text ? { text } : {}), ...(media ? { media } : {}), details: { ...details, ...(name ? { profileName: name } : {}) } };
  }
  const text = str(item.text) ?? str(item.cleanText);
  return { ...base, channel: 'sms', ...(text ? { text } : {}), details: { ...(str(item.keyword) ? { keyword: item.keyword } : {}), ...(typeof item.smsCount === 'number' ? { smsCount: item.smsCount } : {}) } };
}
