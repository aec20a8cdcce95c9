import { hmacSha256, matchesSecret, safeEqual, type Logger, type StatusEvent, type WebhookEvent, type WebhookHandler, type WebhookRequest, type WebhookResult } from '../../src/plugin-api.js';
import { describeGraphError, signalOf } from './errors.js';
import { inboundEvent, isoOf } from './inbound.js';
import { isObject, str, type Json } from './json.js';
import { mapWhatsAppStatus } from './status-map.js';

export interface WebhookContext {
  phoneNumberId: string;
  /** What inbound events carry as `to`: the configured business number, else the phone number id. */
  sender: string;
  appSecret?: string;
  verifyToken?: string;
  logger: Logger;
}

const reject = (status: 400 | 401 | 403, reason: string, auth?: 'credentials'): WebhookResult => ({ ok: false, status, reason, ...(auth ? { auth } : {}) });
const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * `GET …/events?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`: Meta checks the URL when
 * it is saved in the app's settings; the answer is the challenge, as plain text.
 */
export function handshake(ctx: WebhookContext): WebhookHandler {
  return (req) => {
    const mode = one(req.query['hub.mode']);
    const token = one(req.query['hub.verify_token']);
    const challenge = one(req.query['hub.challenge']);
    if (mode !== 'subscribe' || token === undefined || challenge === undefined) return reject(400, 'expected hub.mode=subscribe, hub.verify_token and hub.challenge');
    if (ctx.verifyToken === undefined) return reject(403, 'this instance has no verifyToken; the handshake is refused', 'credentials');
    if (!matchesSecret(token, ctx.verifyToken)) return reject(403, 'hub.verify_token does not match', 'credentials');
    // Echoed into a text/plain body; bounded so the echo is no amplifier.
    if (challenge.length > 256) return reject(400, 'hub.challenge is too long');
    return { ok: true, events: [], reply: { status: 200, contentType: 'text/plain', body: challenge } };
  };
}

/** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`. */
function signatureCheck(req: WebhookRequest, appSecret: string | undefined): WebhookResult | undefined {
  if (appSecret === undefined) return reject(401, 'this instance has no appSecret to verify X-Hub-Signature-256; deliveries are refused');
  const header = one(req.headers['x-hub-signature-256']);
  if (!header) return reject(401, 'missing X-Hub-Signature-256');
  const expected = `sha256=${hmacSha256(appSecret, req.rawBody)}`;
  return safeEqual(header.trim().toLowerCase(), expected) ? undefined : reject(403, 'X-Hub-Signature-256 does not match the body');
}

function statusEvent(s: Json): StatusEvent | undefined {
  const id = str(s.id);
  const status = mapWhatsAppStatus(s.status);
  if (!id || !status) return undefined;
  const error = Array.isArray(s.errors) && isObject(s.errors[0]) ? (s.errors[0] as Json) : undefined;
  const code = error && (typeof error.code === 'number' || typeof error.code === 'string') ? String(error.code) : undefined;
  const errorDetails = error && isObject(error.error_data) ? str(error.error_data.details) : undefined;
  const at = isoOf(s.timestamp);
  const conversation = isObject(s.conversation) ? s.conversation : undefined;
  const pricing = isObject(s.pricing) ? s.pricing : undefined;
  return {
    type: 'status',
    providerMessageId: id,
    status,
    ...(code ? { errorCode: code, errorReason: describeGraphError(code) ?? str(error?.title) ?? str(error?.message) ?? `WhatsApp error ${code}` } : {}),
    ...signalOf(code),
    ...(at ? { at } : {}),
    details: {
      whatsappStatus: s.status,
      ...(errorDetails ? { errorDetails } : {}),
      ...(conversation && isObject(conversation.origin) ? { conversationType: str(conversation.origin.type) } : {}),
      ...(pricing ? { pricingCategory: str(pricing.category), billable: pricing.billable } : {}),
    },
  };
}

/** Events of one `changes[].value` for our phone number id; `foreign` when it is another number's. */
function parseValue(value: Json, ctx: WebhookContext): { events: WebhookEvent[]; foreign: boolean } {
  const metadata = isObject(value.metadata) ? value.metadata : {};
  if (str(metadata.phone_number_id) !== ctx.phoneNumberId) return { events: [], foreign: true };
  const events: WebhookEvent[] = [];
  const contacts = Array.isArray(value.contacts) ? value.contacts.filter(isObject) : [];
  for (const s of Array.isArray(value.statuses) ? value.statuses : []) {
    const event = isObject(s) ? statusEvent(s) : undefined;
    if (event) events.push(event);
  }
  for (const m of Array.isArray(value.messages) ? value.messages : []) {
    if (!isObject(m)) continue;
    const contact = contacts.find((c) => c.wa_id === m.from);
    const profileName = contact && isObject(contact.profile) ? str(contact.profile.name) : undefined;
    const extra = { phoneNumberId: ctx.phoneNumberId, ...(str(metadata.display_phone_number) ? { displayPhoneNumber: metadata.display_phone_number } : {}), ...(profileName ? { profileName } : {}) };
    const event = inboundEvent(m, ctx.sender, extra);
    if (typeof event === 'string') ctx.logger.warn({ reason: event }, 'whatsapp-cloud: skipped a malformed inbound message');
    else events.push(event);
  }
  for (const e of Array.isArray(value.errors) ? value.errors.filter(isObject) : []) {
    // Account-level problems (rate limits, app errors) name no message: an operator should see them.
    ctx.logger.warn({ code: e.code, title: e.title, details: isObject(e.error_data) ? e.error_data.details : undefined }, 'whatsapp-cloud: Meta reported an error');
  }
  return { events, foreign: false };
}

/**
 * `POST …/events`: verified with X-Hub-Signature-256 before the body is parsed; a
 * `whatsapp_business_account` object's `messages` changes become status and inbound events.
 * Changes for another phone number id (one app, several numbers) are ignored and counted.
 */
export function events(ctx: WebhookContext): WebhookHandler {
  return (req) => {
    const refused = signatureCheck(req, ctx.appSecret);
    if (refused) return refused;
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody);
    } catch {
      return reject(400, 'expected a JSON body');
    }
    if (!isObject(body) || body.object !== 'whatsapp_business_account' || !Array.isArray(body.entry)) {
      return reject(400, 'expected {object: "whatsapp_business_account", entry: [...]}');
    }
    const out: WebhookEvent[] = [];
    let ignored = 0;
    for (const entry of body.entry) {
      for (const change of isObject(entry) && Array.isArray(entry.changes) ? entry.changes : []) {
        if (!isObject(change) || change.field !== 'messages' || !isObject(change.value)) continue;
        const { events: parsed, foreign } = parseValue(change.value, ctx);
        if (foreign) ignored += 1;
        out.push(...parsed);
      }
    }
    if (ignored > 0) ctx.logger.info({ ignored }, 'whatsapp-cloud: ignored webhook changes for another phone number id');
    return { ok: true, events: out, ignored };
  };
}
