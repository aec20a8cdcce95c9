import { jsonBodyOf, sharedSecretMatches, type WebhookEvent, type WebhookHandler, type WebhookResult } from '../../src/plugin-api.js';
import { inboundEvent } from './inbound.js';
import { isObject, type Json } from './json.js';
import { reportEvent } from './reports.js';

/** The query parameter the gateway adds to every `notifyUrl`, and operators add to the inbound URL. */
export const SECRET_PARAM = 'secret';

/** A result is inbound when it carries what a person wrote; a report carries a status or `seenAt`. */
const isInbound = (item: Json): boolean => !isObject(item.status) && item.seenAt === undefined && (item.receivedAt !== undefined || isObject(item.message) || item.text !== undefined);

/**
 * Parses Infobip's `{results: [...]}` — delivery reports, WhatsApp seen reports and inbound SMS or
 * WhatsApp messages, however they are mixed — into normalized events.
 */
export function parseResults(body: unknown): WebhookResult {
  if (!isObject(body) || !Array.isArray(body.results)) return { ok: false, status: 400, reason: 'expected a JSON object with a results array' };
  const events: WebhookEvent[] = [];
  for (const [index, item] of body.results.entries()) {
    if (!isObject(item)) return { ok: false, status: 400, reason: `results[${index}] is not an object` };
    const parsed = isInbound(item) ? inboundEvent(item) : reportEvent(item);
    if (typeof parsed === 'string') return { ok: false, status: 400, reason: `results[${index}]: ${parsed}` };
    if (parsed) events.push(parsed);
  }
  return { ok: true, events };
}

/**
 * Every Infobip callback kind (`reports`, `inbound`): Infobip signs nothing, so the instance's
 * `webhookSecret` must come along — as `?secret=` (the gateway puts it into each `notifyUrl`
 * itself, so reports need no setup) or as HTTP Basic (what the portal's webhook settings offer
 * for the inbound URL).
 */
export function createResultsHandler(secret: string | undefined, basicUsername: string): WebhookHandler {
  return (req) => {
    if (secret === undefined) return { ok: false, status: 401, reason: 'webhookSecret is not configured; Infobip callbacks are refused', auth: 'credentials' };
    if (!sharedSecretMatches(req, secret, { query: SECRET_PARAM, basicUsername })) return { ok: false, status: 401, reason: 'missing or wrong webhook secret', auth: 'credentials' };
    return parseResults(jsonBodyOf(req));
  };
}
