import {
  basicAuthMatches,
  jsonBodyOf,
  type InboundEvent,
  type StatusEvent,
  type WebhookEvent,
  type WebhookHandler,
  type WebhookResult,
} from '../../src/plugin-api.js';
import { OPTED_OUT_CODE, describeDeliveryError } from './error-codes.js';
import { INBOUND_TYPES, STATUS_BY_TYPE } from './status-map.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : []);

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function inboundEvent(event: Json, message: Json, id: string): InboundEvent | string {
  const from = str(message.from);
  const to = str(event.to) ?? strings(message.to)[0];
  if (!from || !to) return 'message-received needs message.from and to';
  const media = strings(message.media);
  const participants = strings(message.to);
  const text = str(message.text);
  return {
    type: 'inbound',
    channel: media.length > 0 ? 'mms' : 'sms',
    from,
    to,
    ...(text === undefined ? {} : { text }),
    ...(media.length > 0 ? { media } : {}),
    providerMessageId: id,
    ...(str(event.time) ?? str(message.time) ? { receivedAt: str(event.time) ?? str(message.time) } : {}),
    details: {
      bandwidthType: 'message-received',
      ...(participants.length > 1 ? { group: true, participants } : {}),
      ...(typeof message.segmentCount === 'number' ? { segmentCount: message.segmentCount } : {}),
      ...(str(message.applicationId) ? { applicationId: message.applicationId } : {}),
      // Inbound media URLs on messaging.bandwidth.com need the account's API credentials to download.
      ...(media.length > 0 ? { mediaRequiresAuth: media.some((m) => m.includes('bandwidth.com/')) } : {}),
    },
  };
}

function statusEvent(type: string, event: Json, message: Json, id: string): StatusEvent | string {
  const status = STATUS_BY_TYPE[type];
  const details: Record<string, unknown> = { bandwidthType: type };
  if (str(message.tag)) details.tag = message.tag;
  if (str(event.description)) details.description = event.description;
  if (str(event.carrierName)) details.carrierName = event.carrierName;
  if (strings(message.to).length > 1 && str(event.to)) details.recipient = event.to;
  const at = str(type === 'message-read' ? event.eventTime : undefined) ?? str(event.time);
  if (type !== 'message-failed') return { type: 'status', providerMessageId: id, status, ...(at ? { at } : {}), details };

  const code = typeof event.errorCode === 'number' ? event.errorCode : Number(event.errorCode);
  if (!Number.isInteger(code)) return 'message-failed needs a numeric errorCode';
  const error = describeDeliveryError(code, str(event.description));
  Object.assign(details, {
    errorName: error.name,
    errorClass: error.class,
    retryable: error.retryable,
    permanent: error.class === 'permanent',
    ...(error.billable === undefined ? {} : { billable: error.billable }),
  });
  const signal = code === OPTED_OUT_CODE ? { signal: 'opted_out' as const } : {};
  return { type: 'status', providerMessageId: id, status, errorCode: String(code), errorReason: error.reason, ...signal, ...(at ? { at } : {}), details };
}

/**
 * Parses Bandwidth's callback body — a JSON array of events (a lone event object, as Bandwidth's
 * OpenAPI file models it, is accepted too) — into normalized events. Event types this gateway
 * does not use (RBM responses…) are skipped, so Bandwidth does not retry them for 24 h.
 */
export function parseCallbacks(body: unknown): WebhookResult {
  const items = Array.isArray(body) ? body : isObject(body) ? [body] : undefined;
  if (!items) return { ok: false, status: 400, reason: 'expected a JSON array of Bandwidth message events' };
  const events: WebhookEvent[] = [];
  for (const [index, item] of items.entries()) {
    if (!isObject(item) || !str(item.type) || !isObject(item.message) || !str(item.message.id)) {
      return { ok: false, status: 400, reason: `event ${index}: expected {type, message: {id, …}}` };
    }
    const type = item.type as string;
    const message = item.message;
    const id = message.id as string;
    let parsed: WebhookEvent | string | undefined;
    if (INBOUND_TYPES.has(type)) parsed = inboundEvent(item, message, id);
    else if (Object.hasOwn(STATUS_BY_TYPE, type)) parsed = statusEvent(type, item, message, id);
    if (typeof parsed === 'string') return { ok: false, status: 400, reason: `event ${index}: ${parsed}` };
    if (parsed) events.push(parsed);
  }
  return { ok: true, events };
}

/**
 * One handler for every callback kind: Bandwidth sends inbound and status events in the same
 * shape, to whichever URL the application names, with the same HTTP Basic credentials.
 */
export function createCallbackHandler(credentials: { username?: string; password?: string }): WebhookHandler {
  return (req) => {
    if (credentials.username === undefined || credentials.password === undefined) {
      return { ok: false, status: 401, reason: 'callbackUsername/callbackPassword are not configured; callbacks are refused', auth: 'credentials' };
    }
    if (!basicAuthMatches(firstHeader(req.headers.authorization), credentials.username, credentials.password)) {
      return { ok: false, status: 401, reason: 'missing or wrong HTTP Basic credentials', auth: 'credentials' };
    }
    return parseCallbacks(jsonBodyOf(req));
  };
}
