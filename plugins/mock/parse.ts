import { createIdFactory, type AttemptStatus, type Channel, type WebhookResult } from '../../src/plugin-api.js';

const ulid = createIdFactory();

const STATUSES: readonly AttemptStatus[] = ['queued', 'sent', 'delivered', 'read', 'failed', 'undelivered'];
const CHANNELS: readonly Channel[] = ['whatsapp', 'sms', 'mms', 'email'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** `{messageId, status, errorCode?}`; the mock speaks the normalized statuses directly. */
export function parseStatusBody(body: unknown): WebhookResult {
  if (!isObject(body) || !str(body.messageId) || !STATUSES.includes(body.status as AttemptStatus)) {
    return { ok: false, status: 400, reason: `expected {messageId, status: ${STATUSES.join('|')}}` };
  }
  return {
    ok: true,
    events: [{
      type: 'status',
      providerMessageId: body.messageId,
      status: body.status as AttemptStatus,
      ...(str(body.errorCode) ? { errorCode: body.errorCode, errorReason: 'scripted by the mock provider' } : {}),
    }],
  };
}

/** `{from, to, text, channel?, id?, media?}` → one inbound event. */
export function parseInboundBody(body: unknown, defaultChannel: Channel): WebhookResult {
  if (!isObject(body) || !str(body.from) || !str(body.to) || (body.text !== undefined && typeof body.text !== 'string')) {
    return { ok: false, status: 400, reason: 'expected {from, to, text}' };
  }
  const channel = body.channel === undefined ? defaultChannel : (body.channel as Channel);
  if (!CHANNELS.includes(channel)) return { ok: false, status: 400, reason: `channel must be one of ${CHANNELS.join(', ')}` };
  const media = Array.isArray(body.media) ? body.media.filter(str) : undefined;
  return {
    ok: true,
    events: [{
      type: 'inbound',
      channel,
      from: body.from,
      to: body.to,
      text: body.text as string | undefined,
      ...(media ? { media } : {}),
      providerMessageId: str(body.id) ? body.id : `mock-in-${ulid()}`,
    }],
  };
}
