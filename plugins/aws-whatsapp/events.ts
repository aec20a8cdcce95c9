import type { AttemptStatus, InboundEvent, StatusEvent, WebhookEvent, WebhookResult } from '../../src/plugin-api.js';
import { OUTSIDE_WINDOW_CODE } from './errors.js';

/** Meta's `statuses[].status` → normalized status; `deleted` and `warning` concern no delivery. */
export const WHATSAPP_STATUS: Readonly<Record<string, AttemptStatus>> = Object.freeze({ sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' });

interface MetaStatus {
  id?: unknown;
  status?: unknown;
  timestamp?: unknown;
  errors?: { code?: unknown; title?: unknown; message?: unknown }[];
}

interface MetaMessage {
  id?: unknown;
  from?: unknown;
  timestamp?: unknown;
  type?: unknown;
  text?: { body?: unknown };
  button?: { text?: unknown; payload?: unknown };
  interactive?: { button_reply?: { title?: unknown }; list_reply?: { title?: unknown } };
  [media: string]: unknown;
}

interface MetaValue {
  metadata?: { display_phone_number?: unknown; phone_number_id?: unknown };
  contacts?: { profile?: { name?: unknown }; wa_id?: unknown }[];
  statuses?: MetaStatus[];
  messages?: MetaMessage[];
}

/**
 * Remembers which AWS message id a WhatsApp message id (`wamid.…`) belongs to, learned from
 * notifications that carry both, so a status that names only the WhatsApp id still finds its
 * attempt (indexed by the AWS id `SendWhatsAppMessage` returned). Bounded; oldest forgotten first.
 */
export function createIdMap(limit = 50_000) {
  const byWamid = new Map<string, string>();
  return {
    learn(wamid: string, awsId: string): void {
      if (byWamid.get(wamid) === awsId) return;
      if (byWamid.size >= limit) byWamid.delete(byWamid.keys().next().value!);
      byWamid.set(wamid, awsId);
    },
    lookup: (wamid: string): string | undefined => byWamid.get(wamid),
  };
}

export type IdMap = ReturnType<typeof createIdMap>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const bad = (reason: string): WebhookResult => ({ ok: false, status: 400, reason });
const epochSeconds = (v: unknown): { at?: string } => (typeof v === 'string' && /^\d+$/.test(v) ? { at: new Date(Number(v) * 1000).toISOString() } : {});
/** Meta writes numbers as digits only; the gateway keeps E.164. A BSUID (`US.1349…`) stays as it is. */
const e164 = (digits: string): string => (/^\d+$/.test(digits) ? `+${digits}` : digits);

function statusEvent(s: MetaStatus, awsId: string | undefined, ids: IdMap): StatusEvent | undefined {
  const wamid = str(s.id);
  const raw = str(s.status);
  const status = raw !== undefined && Object.hasOwn(WHATSAPP_STATUS, raw) ? WHATSAPP_STATUS[raw] : undefined;
  if (!wamid || !status) return undefined;
  if (awsId) ids.learn(wamid, awsId);
  const error = s.errors?.[0];
  const code = error?.code !== undefined ? String(error.code) : undefined;
  return {
    type: 'status',
    providerMessageId: awsId ?? ids.lookup(wamid) ?? wamid,
    status,
    ...(code !== undefined ? { errorCode: code, errorReason: str(error?.message) ?? str(error?.title) ?? `WhatsApp error ${code}` } : {}),
    ...(code === OUTSIDE_WINDOW_CODE ? { signal: 'outside_window' as const } : {}),
    ...epochSeconds(s.timestamp),
    details: { whatsappMessageId: wamid },
  };
}

function messageText(m: MetaMessage): string | undefined {
  const media = typeof m.type === 'string' ? (m[m.type] as { caption?: unknown } | undefined) : undefined;
  return str(m.text?.body) ?? str(m.button?.text) ?? str(m.interactive?.button_reply?.title) ?? str(m.interactive?.list_reply?.title) ?? str(media?.caption);
}

function inboundEvent(m: MetaMessage, value: MetaValue, fallbackTo: string): InboundEvent | undefined {
  const id = str(m.id);
  const from = str(m.from);
  if (!id || !from) return undefined;
  const display = str(value.metadata?.display_phone_number)?.replace(/\D/g, '');
  const text = messageText(m);
  const type = str(m.type);
  const mediaId = type !== undefined ? str((m[type] as { id?: unknown } | undefined)?.id) : undefined;
  const profile = value.contacts?.find((c) => c.wa_id === from)?.profile?.name;
  const receivedAt = epochSeconds(m.timestamp).at;
  return {
    type: 'inbound', channel: 'whatsapp', from: e164(from), to: display ? `+${display}` : fallbackTo, providerMessageId: id,
    ...(text !== undefined ? { text } : {}),
    ...(receivedAt ? { receivedAt } : {}),
    details: Object.fromEntries(Object.entries({ messageType: type, mediaId, profileName: str(profile), phoneNumberId: str(value.metadata?.phone_number_id) }).filter(([, v]) => v !== undefined)),
  };
}

/**
 * One SNS `Message` of a WABA's event destination: AWS's header around Meta's webhook `entry` (a
 * JSON string inside a JSON string). Statuses become receipts, messages inbound events.
 */
export function parseWhatsAppNotification(message: string, ids: IdMap, business: string): WebhookResult {
  let header: { whatsAppWebhookEntry?: unknown; messageId?: unknown };
  let entry: { changes?: { field?: unknown; value?: MetaValue }[] };
  try {
    header = JSON.parse(message) as typeof header;
    if (typeof header?.whatsAppWebhookEntry !== 'string') return bad('a WhatsApp event needs whatsAppWebhookEntry');
    entry = JSON.parse(header.whatsAppWebhookEntry) as typeof entry;
  } catch {
    return bad('the SNS message is not an End User Messaging Social event (not JSON)');
  }
  if (typeof entry !== 'object' || entry === null || !Array.isArray(entry.changes)) return bad('whatsAppWebhookEntry has no changes');
  const awsId = str(header.messageId);
  const events: WebhookEvent[] = [];
  for (const change of entry.changes) {
    const value = change?.value;
    if (change?.field !== 'messages' || typeof value !== 'object' || value === null) continue;
    for (const s of Array.isArray(value.statuses) ? value.statuses : []) {
      const event = statusEvent(s, awsId, ids);
      if (event) events.push(event);
    }
    for (const m of Array.isArray(value.messages) ? value.messages : []) {
      const event = inboundEvent(m, value, business);
      if (event) events.push(event);
    }
  }
  return { ok: true, events };
}
