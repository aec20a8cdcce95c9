import type { InboundEvent, StatusEvent } from '../../src/plugin-api.js';
import type { GridEvent } from './event-grid.js';
import { signalOf, STATUS_MAP } from './status-map.js';

type Json = Record<string, unknown>;

export const RECEIVED = 'Microsoft.Communication.AdvancedMessageReceived';
export const DELIVERY_STATUS = 'Microsoft.Communication.AdvancedMessageDeliveryStatusUpdated';

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
/** WhatsApp ids are digits; a username's BSUID (`US.1349…`) is kept as it is. */
const address = (v: string): string => (/^[1-9][0-9]{5,14}$/.test(v) ? `+${v}` : v);

/** `AdvancedMessageDeliveryStatusUpdated` → a status event; `Failed` carries the channel's error code. */
export function statusEvent(event: GridEvent): StatusEvent | string | undefined {
  const { data } = event;
  const id = str(data.messageId);
  const acsStatus = str(data.status);
  if (!id || !acsStatus) return 'a delivery status event needs data.messageId and data.status';
  const status = Object.hasOwn(STATUS_MAP, acsStatus.toLowerCase()) ? STATUS_MAP[acsStatus.toLowerCase()] : undefined;
  if (status === undefined) return undefined;
  const error = isObject(data.error) ? data.error : undefined;
  const code = str(error?.channelCode) ?? (typeof error?.channelCode === 'number' ? String(error.channelCode) : undefined);
  const at = str(data.receivedTimestamp) ?? event.time;
  return {
    type: 'status',
    providerMessageId: id,
    status,
    ...(status === 'failed' ? { errorCode: code ?? 'Failed', errorReason: str(error?.channelMessage) ?? 'ACS reported Failed' } : {}),
    ...signalOf(code),
    ...(at ? { at } : {}),
    details: { acsStatus, eventId: event.id, ...(str(data.channelType) ? { channelType: data.channelType } : {}) },
  };
}

/** What the person sent: text, media (as the ACS stream to download with the instance's credentials), or a reply as text. */
function contentOf(data: Json, endpoint: string): { text?: string; media?: string[]; details: Json } {
  const messageType = str(data.messageType) ?? 'text';
  const details: Json = { messageType };
  const media = isObject(data.media) ? data.media : undefined;
  if (media && str(media.id)) {
    Object.assign(details, { mediaId: media.id, ...(str(media.mimeType) ? { mimeType: media.mimeType } : {}), ...(str(media.fileName) ? { fileName: media.fileName } : {}) });
    return { text: str(media.caption) ?? str(data.content), media: [`${endpoint}/messages/streams/${encodeURIComponent(media.id as string)}`], details };
  }
  if (isObject(data.button)) return { text: str(data.button.text), details: { ...details, payload: data.button.payload } };
  const interactive = isObject(data.interactive) ? data.interactive : undefined;
  const reply = interactive && (isObject(interactive.buttonReply) ? interactive.buttonReply : isObject(interactive.listReply) ? interactive.listReply : undefined);
  if (reply) return { text: str(reply.title), details: { ...details, replyType: interactive.type, replyId: reply.id, ...(str(reply.description) ? { description: reply.description } : {}) } };
  if (isObject(data.reaction)) return { text: str(data.reaction.emoji), details: { ...details, reactionTo: data.reaction.messageId } };
  return { text: str(data.content), details };
}

/** `AdvancedMessageReceived` → an inbound event to the channel registration (the business side). */
export function inboundEvent(event: GridEvent, endpoint: string): InboundEvent | string {
  const { data } = event;
  const id = str(data.messageId);
  const from = str(data.from);
  const to = str(data.to);
  if (!id || !from || !to) return 'a received event needs data.messageId, data.from and data.to';
  const channel = str(data.channelType)?.toLowerCase() === 'sms' ? 'sms' : 'whatsapp';
  const { text, media, details } = contentOf(data, endpoint);
  const receivedAt = str(data.receivedTimestamp) ?? event.time;
  const context = isObject(data.context) && str(data.context.id) ? { replyTo: data.context.id } : {};
  return {
    type: 'inbound',
    channel,
    from: address(from),
    to,
    ...(text ? { text } : {}),
    ...(media ? { media } : {}),
    providerMessageId: id,
    ...(receivedAt ? { receivedAt } : {}),
    details: { ...details, ...context, eventId: event.id },
  };
}
