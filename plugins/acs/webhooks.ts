import { jsonBodyOf, sharedSecretMatches, type WebhookEvent, type WebhookHandler, type WebhookRequest, type WebhookResult } from '../../src/plugin-api.js';
import { VALIDATION_EVENT, optionsHandshake, readEnvelope } from './event-grid.js';
import { DELIVERY_STATUS, RECEIVED, inboundEvent, statusEvent } from './events.js';

/** Where Event Grid may carry the secret: the endpoint URL's query, or a delivery-property header. */
const PLACES = { query: 'code', header: 'x-webhook-secret' } as const;

const header = (req: WebhookRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Event Grid schema validation: answer the code with 200 (Event Grid does not take 202). */
function validationReply(code: unknown): WebhookResult {
  if (typeof code !== 'string' || code === '') return { ok: false, status: 400, reason: 'a SubscriptionValidationEvent needs data.validationCode' };
  return { ok: true, events: [], reply: { status: 200, contentType: 'application/json', body: JSON.stringify({ validationResponse: code }) } };
}

/**
 * Event Grid's parsed events. Repeats of an event id in one delivery count once (Event Grid
 * redelivers whole batches; the core's per-receipt and per-message checks catch repeats across
 * deliveries). Unknown event types are acknowledged and counted as ignored, so Event Grid does
 * not retry them for a day.
 */
export function parseDelivery(body: unknown, endpoint: string): WebhookResult {
  const envelope = readEnvelope(body);
  if (!envelope.ok) return { ok: false, status: 400, reason: envelope.reason };
  const validation = envelope.events.find((e) => e.type === VALIDATION_EVENT);
  if (validation) return validationReply(validation.data.validationCode);
  const seen = new Set<string>();
  const events: WebhookEvent[] = [];
  let ignored = 0;
  for (const event of envelope.events) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    const parsed = event.type === DELIVERY_STATUS ? statusEvent(event) : event.type === RECEIVED ? inboundEvent(event, endpoint) : undefined;
    if (typeof parsed === 'string') return { ok: false, status: 400, reason: `event ${event.id}: ${parsed}` };
    if (parsed) events.push(parsed);
    else ignored += 1;
  }
  return { ok: true, events, ignored };
}

/**
 * The `events` webhook: the secret first (for every request, handshakes included), then the
 * CloudEvents OPTIONS handshake or a delivery in either schema.
 */
export function createEventsHandler(secret: string | undefined, endpoint: string): WebhookHandler {
  return (req) => {
    if (secret === undefined) return { ok: false, status: 401, reason: 'webhookSecret is not configured; Event Grid deliveries are refused', auth: 'credentials' };
    if (!sharedSecretMatches(req, secret, PLACES)) return { ok: false, status: 401, reason: 'missing or wrong webhook secret (code query parameter or x-webhook-secret header)', auth: 'credentials' };
    if (req.method === 'OPTIONS') return { ok: true, events: [], reply: { status: 200, headers: optionsHandshake(header(req, 'webhook-request-origin')) } };
    return parseDelivery(jsonBodyOf(req), endpoint.replace(/\/+$/, ''));
  };
}
