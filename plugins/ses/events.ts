import type { StatusEvent, WebhookResult } from '../../src/plugin-api.js';

/**
 * SES event publishing (`eventType`) and identity notifications (`notificationType`) → normalized
 * receipts. Transient bounces and delivery delays are recorded as `sent` receipts carrying the
 * reason: SES keeps trying by itself, so nothing here should end the step. A permanent bounce and a
 * complaint also signal `opted_out`, which adds a suppression entry for the address.
 */
interface SesEvent {
  eventType?: string;
  notificationType?: string;
  mail?: { messageId?: unknown; timestamp?: unknown; tags?: Record<string, unknown> };
  bounce?: { bounceType?: string; bounceSubType?: string; timestamp?: string; bouncedRecipients?: { diagnosticCode?: string; status?: string }[] };
  complaint?: { timestamp?: string; complaintFeedbackType?: string };
  delivery?: { timestamp?: string; smtpResponse?: string; processingTimeMillis?: number };
  send?: Record<string, unknown>;
  reject?: { reason?: string };
  open?: { timestamp?: string; userAgent?: string };
  click?: { timestamp?: string; link?: string };
  failure?: { errorMessage?: string; templateName?: string };
  deliveryDelay?: { timestamp?: string; delayType?: string; expirationTime?: string };
}

type Mapped = Omit<StatusEvent, 'type' | 'providerMessageId'>;

const at = (t: unknown): { at?: string } => (typeof t === 'string' && !Number.isNaN(Date.parse(t)) ? { at: new Date(t).toISOString() } : {});
const defined = (record: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));

function bounce(e: SesEvent): Mapped {
  const b = e.bounce ?? {};
  const kind = b.bounceType ?? 'Undetermined';
  const first = b.bouncedRecipients?.[0];
  const errorCode = `Bounce:${kind}${b.bounceSubType ? `:${b.bounceSubType}` : ''}`;
  const errorReason = `${kind} bounce (${b.bounceSubType ?? 'no subtype'})${first?.diagnosticCode ? `: ${first.diagnosticCode}` : ''}`;
  const details = defined({ bounceType: kind, bounceSubType: b.bounceSubType, smtpStatus: first?.status });
  if (kind === 'Permanent') return { status: 'failed', errorCode, errorReason, signal: 'opted_out', ...at(b.timestamp), details };
  return { status: 'sent', errorCode, errorReason, ...at(b.timestamp), details };
}

const MAPPERS: Readonly<Record<string, (e: SesEvent) => Mapped | undefined>> = {
  Send: (e) => ({ status: 'sent', ...at(e.mail?.timestamp) }),
  Delivery: (e) => ({ status: 'delivered', ...at(e.delivery?.timestamp), details: defined({ smtpResponse: e.delivery?.smtpResponse, processingTimeMillis: e.delivery?.processingTimeMillis }) }),
  Bounce: bounce,
  // A complaint means the mail arrived and the person called it spam: delivered, and never again.
  Complaint: (e) => ({ status: 'delivered', errorCode: 'Complaint', errorReason: `the recipient marked the email as spam${e.complaint?.complaintFeedbackType ? ` (${e.complaint.complaintFeedbackType})` : ''}`, signal: 'opted_out', ...at(e.complaint?.timestamp) }),
  Reject: (e) => ({ status: 'failed', errorCode: 'Reject', errorReason: `SES rejected the email: ${e.reject?.reason ?? 'no reason given'}` }),
  'Rendering Failure': (e) => ({ status: 'failed', errorCode: 'RenderingFailure', errorReason: `the template could not be rendered: ${e.failure?.errorMessage ?? 'no reason given'}`, details: defined({ templateName: e.failure?.templateName }) }),
  DeliveryDelay: (e) => ({ status: 'sent', errorCode: `DeliveryDelay:${e.deliveryDelay?.delayType ?? 'Unknown'}`, errorReason: `delivery is delayed (${e.deliveryDelay?.delayType ?? 'no type'}); SES keeps trying until ${e.deliveryDelay?.expirationTime ?? 'it expires'}`, ...at(e.deliveryDelay?.timestamp) }),
  Open: (e) => ({ status: 'read', ...at(e.open?.timestamp) }),
  // A click proves an open even when the tracking pixel was blocked.
  Click: (e) => ({ status: 'read', ...at(e.click?.timestamp), details: defined({ clickedLink: e.click?.link }) }),
  Subscription: () => undefined,
};

// Identity notifications name their types like event publishing, except these.
const ALIASES: Readonly<Record<string, string>> = { RenderingFailure: 'Rendering Failure', AmazonSnsSubscriptionSucceeded: 'Subscription' };

/** One SES event (the SNS `Message`, a JSON string) → at most one status event. */
export function parseSesEvent(message: string): WebhookResult {
  let event: SesEvent;
  try {
    event = JSON.parse(message) as SesEvent;
  } catch {
    return { ok: false, status: 400, reason: 'the SNS message is not an SES event (not JSON)' };
  }
  if (typeof event !== 'object' || event === null) return { ok: false, status: 400, reason: 'the SNS message is not an SES event' };
  const raw = event.eventType ?? event.notificationType;
  if (typeof raw !== 'string') return { ok: false, status: 400, reason: 'an SES event needs eventType or notificationType' };
  const type = ALIASES[raw] ?? raw;
  const messageId = event.mail?.messageId;
  if (typeof messageId !== 'string' || messageId === '') return { ok: false, status: 400, reason: 'an SES event needs mail.messageId' };
  const mapper = Object.hasOwn(MAPPERS, type) ? MAPPERS[type] : undefined;
  // SES adds event types now and then; a 4xx would only make SNS retry what we cannot use.
  const mapped = mapper?.(event);
  if (!mapped) return { ok: true, events: [] };
  return { ok: true, events: [{ type: 'status', providerMessageId: messageId, ...mapped, details: { sesEvent: type, ...mapped.details } }] };
}
