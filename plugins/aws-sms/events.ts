import type { AttemptStatus, InboundEvent, StatusEvent, WebhookResult } from '../../src/plugin-api.js';

/**
 * End User Messaging SMS `eventType` → normalized status. `TEXT_SUCCESSFUL` and `TEXT_DELIVERED`
 * mean the same in different countries. `TEXT_UNKNOWN` (no final word within 72 h) and the
 * in-flight ones are recorded as `sent` with the event type as their code: not proof of loss.
 */
export const SMS_EVENT_STATUS: Readonly<Record<string, AttemptStatus>> = Object.freeze({
  TEXT_PENDING: 'queued',
  TEXT_QUEUED: 'queued',
  TEXT_SENT: 'sent',
  TEXT_UNKNOWN: 'sent',
  TEXT_SUCCESSFUL: 'delivered',
  TEXT_DELIVERED: 'delivered',
  TEXT_INVALID: 'failed',
  TEXT_INVALID_MESSAGE: 'failed',
  TEXT_BLOCKED: 'failed',
  TEXT_CARRIER_BLOCKED: 'failed',
  TEXT_SPAM: 'failed',
  TEXT_PROTECT_BLOCKED: 'failed',
  TEXT_UNREACHABLE: 'undelivered',
  TEXT_CARRIER_UNREACHABLE: 'undelivered',
  TEXT_TTL_EXPIRED: 'undelivered',
});

// Statuses that say nothing wrong happened carry no error code.
const PLAIN = new Set(['TEXT_PENDING', 'TEXT_QUEUED', 'TEXT_SENT', 'TEXT_SUCCESSFUL', 'TEXT_DELIVERED']);

interface SmsEvent {
  eventType?: unknown;
  messageId?: unknown;
  eventTimestamp?: unknown;
  messageStatus?: unknown;
  messageStatusDescription?: unknown;
  isoCountryCode?: unknown;
  totalMessageParts?: unknown;
  totalMessagePrice?: unknown;
  context?: unknown;
}

interface TwoWaySms {
  originationNumber?: unknown;
  destinationNumber?: unknown;
  messageBody?: unknown;
  messageKeyword?: unknown;
  inboundMessageId?: unknown;
  previousPublishedMessageId?: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const defined = (record: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
const bad = (reason: string): WebhookResult => ({ ok: false, status: 400, reason });

function inbound(m: TwoWaySms): WebhookResult {
  const from = str(m.originationNumber);
  const to = str(m.destinationNumber);
  const id = str(m.inboundMessageId);
  if (!from || !to || !id) return bad('an inbound SMS needs originationNumber, destinationNumber and inboundMessageId');
  const event: InboundEvent = {
    type: 'inbound', channel: 'sms', from, to, providerMessageId: id,
    ...(typeof m.messageBody === 'string' ? { text: m.messageBody } : {}),
    details: defined({ keyword: str(m.messageKeyword), previousPublishedMessageId: str(m.previousPublishedMessageId) }),
  };
  return { ok: true, events: [event] };
}

function status(e: SmsEvent, eventType: string): WebhookResult {
  const messageId = str(e.messageId);
  if (!messageId) return bad('an SMS event needs messageId');
  const mapped = Object.hasOwn(SMS_EVENT_STATUS, eventType) ? SMS_EVENT_STATUS[eventType] : undefined;
  // MEDIA_*, VOICE_*, RCS_* and types added later concern no SMS attempt of ours.
  if (!mapped) return { ok: true, events: [] };
  const at = typeof e.eventTimestamp === 'number' ? new Date(e.eventTimestamp).toISOString() : undefined;
  const description = str(e.messageStatusDescription);
  const event: StatusEvent = {
    type: 'status',
    providerMessageId: messageId,
    status: mapped,
    ...(PLAIN.has(eventType) ? {} : { errorCode: eventType, errorReason: description ?? eventType }),
    ...(at ? { at } : {}),
    details: defined({ eventType, messageStatus: str(e.messageStatus), isoCountryCode: str(e.isoCountryCode), parts: e.totalMessageParts, price: e.totalMessagePrice }),
  };
  return { ok: true, events: [event] };
}

/** One SNS `Message` of an SMS topic: a delivery event (`eventType`) or a two-way inbound SMS. */
export function parseSmsNotification(message: string): WebhookResult {
  let data: unknown;
  try {
    data = JSON.parse(message);
  } catch {
    return bad('the SNS message is not an SMS event or inbound SMS (not JSON)');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return bad('the SNS message is not an SMS event or inbound SMS');
  const record = data as SmsEvent & TwoWaySms;
  if (record.inboundMessageId !== undefined) return inbound(record);
  const eventType = str(record.eventType);
  if (!eventType) return bad('an SMS notification needs eventType (an event) or inboundMessageId (an inbound SMS)');
  return status(record, eventType);
}
