import { createHmac, timingSafeEqual } from 'node:crypto';
import { type AgentEvent, type ContactCenterWebhookHandler, type ContactCenterWebhookResult, type WebhookRequest } from '../../src/plugin-api.js';

type Json = Record<string, unknown>;

export const SIGNATURE_HEADER = 'x-avaya-event-signature';
const SIGNATURE_PREFIX = 'sha256=';
// `sha256=` and the padded base64 of a 32-byte HMAC, canonical: the last digit's two spare bits
// are zero, so one digest has one spelling (decoding alone would let four pass).
const SIGNATURE = /^sha256=[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
// Avaya's own README shows phone numbers as JSON numbers; they are addresses all the same.
const address = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Checks `x-avaya-event-signature: sha256=<base64 HMAC-SHA256>` made with the connector's webhook
 * secret. Over the raw body first; then over the re-serialized JSON, because the published sample
 * signs and verifies `JSON.stringify(parsed body)`, and whether Avaya signs the exact bytes it
 * sends is not confirmed. The header's 32 bytes are compared with each digest in constant time:
 * one HMAC per try, no hashing of both sides to equal lengths (the pattern fixed the length).
 */
export function verifySignature(req: Pick<WebhookRequest, 'headers' | 'rawBody'>, secret: string): { ok: true } | { ok: false; status: 401 | 403; reason: string } {
  const header = req.headers[SIGNATURE_HEADER];
  if (Array.isArray(header) && header.length > 1) return { ok: false, status: 401, reason: `malformed ${SIGNATURE_HEADER} header: sent more than once` };
  const given = Array.isArray(header) ? header[0] : header;
  if (given === undefined || given === '') return { ok: false, status: 401, reason: `missing ${SIGNATURE_HEADER} header` };
  if (!SIGNATURE.test(given)) return { ok: false, status: 401, reason: `malformed ${SIGNATURE_HEADER} header: expected sha256=<base64 HMAC-SHA256>` };
  const expected = Buffer.from(given.slice(SIGNATURE_PREFIX.length), 'base64');
  const signs = (data: string) => timingSafeEqual(expected, createHmac('sha256', secret).update(data, 'utf8').digest());
  if (signs(req.rawBody)) return { ok: true };
  // Only a body whose bytes were not signed as sent is parsed and written out again.
  const reserialized = reserialize(req.rawBody);
  if (reserialized !== undefined && reserialized !== req.rawBody && signs(reserialized)) return { ok: true };
  return { ok: false, status: 403, reason: `${SIGNATURE_HEADER} does not match the body` };
}

function reserialize(raw: string): string | undefined {
  try {
    return JSON.stringify(JSON.parse(raw));
  } catch {
    return undefined;
  }
}

/** The first recipient of `headers.to`: an array as documented, or a lone value. */
function firstRecipient(to: unknown): string | undefined {
  return Array.isArray(to) ? to.map(address).find((a) => a !== undefined) : address(to);
}

/** A `messages` event → an agent event (whatever the sender type: the bridge decides what to forward). */
function agentEvent(event: Json): AgentEvent | string {
  const headers = isObject(event.headers) ? event.headers : {};
  const body = isObject(event.body) ? event.body : {};
  const to = firstRecipient(headers.to);
  const text = str(body.text);
  const eventId = str(event.eventId) ?? str(event.messageId);
  if (to === undefined) return 'a messages event needs headers.to';
  if (text === undefined) return 'a messages event needs body.text';
  if (eventId === undefined) return 'a messages event needs eventId (or messageId)';
  const from = address(headers.from);
  const senderType = isObject(event.sender) && str(event.sender.type) ? (event.sender.type as string).toLowerCase() : 'unknown';
  const conversationId = str(event.conversationSessionId);
  const channel = str(event.channel)?.toLowerCase();
  const providerMessageId = str(event.messageId);
  const at = str(event.eventTimestamp);
  const details: Json = {};
  for (const key of ['accountId', 'connectorId'] as const) if (str(event[key])) details[key] = event[key];
  if (isObject(event.sender) && str(event.sender.displayName)) details.senderName = event.sender.displayName;
  return {
    type: 'agent',
    eventId,
    senderType,
    to,
    ...(from === undefined ? {} : { from }),
    text,
    ...(conversationId ? { conversationId } : {}),
    ...(channel ? { channel } : {}),
    ...(providerMessageId ? { providerMessageId } : {}),
    ...(at ? { at } : {}),
    details,
  };
}

/**
 * Parses a verified event body. `eventType` is matched case-insensitively (the sample's code says
 * `messages`, its README `MESSAGES`). `health_check` and event types this gateway does not use are
 * acknowledged with no events, so Avaya does not retry them. `parsed`: the same body as the
 * webhook's JSON parser already `read` it, so it is not parsed twice.
 */
export function parseEvent(raw: string, read?: Json): ContactCenterWebhookResult {
  let event: unknown = read;
  if (event === undefined) {
    try {
      event = JSON.parse(raw);
    } catch {
      return { ok: false, status: 400, reason: 'the event body is not JSON' };
    }
  }
  if (!isObject(event) || !str(event.eventType)) return { ok: false, status: 400, reason: 'expected a JSON object with eventType' };
  if ((event.eventType as string).toLowerCase() !== 'messages') return { ok: true, events: [] };
  const parsed = agentEvent(event);
  return typeof parsed === 'string' ? { ok: false, status: 400, reason: parsed } : { ok: true, events: [parsed] };
}

// Only a JSON body's parse is the event itself: a form or text parser would have read it otherwise.
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
function parsedJson(req: Pick<WebhookRequest, 'headers' | 'body'>): Json | undefined {
  const type = req.headers['content-type'];
  return typeof type === 'string' && JSON_TYPE.test(type) && isObject(req.body) ? req.body : undefined;
}

/** The `events` webhook: signature first (every event type), then the body. */
export function createEventsHandler(webhookSecret: string | undefined): ContactCenterWebhookHandler {
  return (req) => {
    if (webhookSecret === undefined) {
      return { ok: false, status: 401, reason: 'webhookSecret is not configured; unsigned contact-center events are refused' };
    }
    const verified = verifySignature(req, webhookSecret);
    return verified.ok ? parseEvent(req.rawBody, parsedJson(req)) : verified;
  };
}
