import { lazyImport, type Channel, type InboundEvent, type Logger, type StatusEvent, type WebhookHandler, type WebhookRequest, type WebhookResult } from '../../src/plugin-api.js';
import { describeTwilioError, signalOf } from './errors.js';
import { stripWhatsApp } from './send.js';
import { mapTwilioStatus } from './status-map.js';

/** The empty TwiML answer (`new twilio.twiml.MessagingResponse().toString()`): "received, no reply". */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

type Params = Record<string, string | string[]>;

/** The SDK's signature check alone: a tenth of the SDK's import time, loaded with the first callback. */
const webhookSdk = lazyImport('twilio', () => import('twilio/lib/webhooks/webhooks.js'));
type Validate = Awaited<ReturnType<typeof webhookSdk>>['validateRequest'];

const MAX_INBOUND_MEDIA = 20;

export interface WebhookContext {
  /** Verifies X-Twilio-Signature; without it every callback is refused. */
  authToken?: string;
  /** `options.webhookUrl`: the base URL Twilio calls when it differs from what the core computed. */
  publicBase?: string;
  logger: Logger;
}

const reject = (status: 400 | 403, reason: string): WebhookResult => ({ ok: false, status, reason });

function formParams(body: unknown): Params | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const entries = Object.entries(body as Record<string, unknown>);
  const valid = entries.every(([, v]) => typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')));
  return valid ? (body as Params) : undefined;
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

function header(req: WebhookRequest, name: string): string | undefined {
  const key = Object.keys(req.headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : one(req.headers[key]);
}

/** The URLs Twilio may have signed: the one the core computed, and the configured public base. */
function candidateUrls(req: WebhookRequest, kind: string, publicBase: string | undefined): string[] {
  if (publicBase === undefined) return [req.url];
  let search = '';
  try {
    search = new URL(req.url).search;
  } catch {
    // a relative or odd req.url only loses its query; the configured base still applies
  }
  const configured = `${publicBase.replace(/\/+$/, '')}/${kind}${search}`;
  return configured === req.url ? [req.url] : [req.url, configured];
}

/** The SDK also tries the URL with and without the default port; an unparsable URL just does not match. */
function signatureMatches(validate: Validate, token: string, signature: string, url: string, params: Params): boolean {
  try {
    return validate(token, signature, url, params);
  } catch {
    return false;
  }
}

function verified(req: WebhookRequest, kind: string, ctx: WebhookContext, validate: Validate): { params: Params } | { rejection: WebhookResult } {
  const params = formParams(req.body);
  if (!params) return { rejection: reject(400, 'expected form-encoded Twilio parameters') };
  if (ctx.authToken === undefined) return { rejection: reject(403, 'this instance has no authToken to verify X-Twilio-Signature') };
  const signature = header(req, 'x-twilio-signature');
  if (!signature) return { rejection: reject(403, 'missing X-Twilio-Signature') };
  const token = ctx.authToken;
  const ok = candidateUrls(req, kind, ctx.publicBase).some((url) => signatureMatches(validate, token, signature, url, params));
  return ok ? { params } : { rejection: reject(403, 'X-Twilio-Signature does not match this URL and body') };
}

function pick(params: Params, names: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, key] of Object.entries(names)) {
    const v = one(params[key]);
    if (v !== undefined && v !== '') out[field] = v;
  }
  return out;
}

function parseInbound(params: Params): WebhookResult {
  const sid = one(params.MessageSid) ?? one(params.SmsMessageSid);
  const from = one(params.From);
  const to = one(params.To);
  if (!sid || !from || !to) return reject(400, 'inbound message needs MessageSid, From and To');

  // NumMedia says how many MediaUrl{N} follow; capped so a forged count cannot spin the loop.
  const declared = Number.parseInt(one(params.NumMedia) ?? '', 10);
  const count = Number.isNaN(declared) ? Object.keys(params).filter((k) => /^MediaUrl\d+$/.test(k)).length : declared;
  const media: string[] = [];
  const types: string[] = [];
  for (let i = 0; i < Math.min(count, MAX_INBOUND_MEDIA); i += 1) {
    const url = one(params[`MediaUrl${i}`]);
    if (url) media.push(url);
    const type = one(params[`MediaContentType${i}`]);
    if (type) types.push(type);
  }
  const channel: Channel = from.startsWith('whatsapp:') ? 'whatsapp' : media.length > 0 ? 'mms' : 'sms';
  const body = one(params.Body);
  const details = pick(params, {
    accountSid: 'AccountSid', messagingServiceSid: 'MessagingServiceSid', numSegments: 'NumSegments', optOutType: 'OptOutType',
    profileName: 'ProfileName', waId: 'WaId', buttonText: 'ButtonText', buttonPayload: 'ButtonPayload',
  });
  const event: InboundEvent = {
    type: 'inbound',
    channel,
    from: stripWhatsApp(from),
    to: stripWhatsApp(to),
    ...(body !== undefined ? { text: body } : {}),
    ...(media.length > 0 ? { media } : {}),
    providerMessageId: sid,
    details: { ...details, ...(types.length > 0 ? { mediaContentTypes: types } : {}) },
  };
  return { ok: true, events: [event], reply: { status: 200, contentType: 'text/xml', body: EMPTY_TWIML } };
}

function parseStatus(params: Params, logger: Logger): WebhookResult {
  const sid = one(params.MessageSid) ?? one(params.SmsSid);
  const twilioStatus = one(params.MessageStatus) ?? one(params.SmsStatus);
  if (!sid || !twilioStatus) return reject(400, 'status callback needs MessageSid and MessageStatus');
  const status = mapTwilioStatus(twilioStatus);
  if (status === undefined) {
    // Twilio adds statuses without notice; answering 4xx would only make it retry.
    logger.info({ providerMessageId: sid, twilioStatus }, 'ignored a Twilio status that maps to no attempt status');
    return { ok: true, events: [] };
  }
  const errorCode = one(params.ErrorCode);
  const event: StatusEvent = {
    type: 'status',
    providerMessageId: sid,
    status,
    ...(errorCode ? { errorCode, errorReason: describeTwilioError(errorCode) ?? one(params.ErrorMessage) ?? `Twilio error ${errorCode}` } : {}),
    // 21610 comes with the create call as a rule, a Messaging Service may report it here; 63016 comes here.
    ...signalOf(errorCode),
    details: { twilioStatus, ...pick(params, { channelPrefix: 'ChannelPrefix', rawDlrDoneDate: 'RawDlrDoneDate' }) },
  };
  return { ok: true, events: [event] };
}

/**
 * `inbound` (messages to our numbers, answered with empty TwiML) and `status` (delivery receipts),
 * both verified with X-Twilio-Signature before anything is parsed. Bad input is a rejection value,
 * never an exception.
 */
export function createWebhookHandlers(ctx: WebhookContext): Readonly<Record<'inbound' | 'status', WebhookHandler>> {
  function handler(kind: 'inbound' | 'status', parse: (params: Params) => WebhookResult): WebhookHandler {
    return async (req) => {
      // Outside the try: an SDK that cannot be loaded is the gateway's failure, not a malformed callback.
      const { validateRequest } = await webhookSdk();
      try {
        const check = verified(req, kind, ctx, validateRequest);
        return 'rejection' in check ? check.rejection : parse(check.params);
      } catch (err) {
        ctx.logger.warn({ err, kind }, 'malformed Twilio callback');
        return reject(400, 'malformed Twilio callback');
      }
    };
  }
  return Object.freeze({
    inbound: handler('inbound', parseInbound),
    status: handler('status', (params) => parseStatus(params, ctx.logger)),
  });
}
