/**
 * A local fake of AWS End User Messaging Social's `SendWhatsAppMessage` (restJson1:
 * `POST /v1/whatsapp/send`, the Meta message JSON base64 in `message`), and builders for the SNS
 * messages its event destination publishes (AWS's header around Meta's webhook entry).
 *
 * @example
 *   const wa = await startWhatsAppFake();
 *   wa.sent[0].message // → { messaging_product: 'whatsapp', to, type: 'text', text: { body } }
 *   sns.notification(TOPIC, whatsappStatus(wa.sent[0], 'read'))
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { startSendFake, type AwsFake, type AwsRecordedRequest } from './fake-server.js';

export interface SentWhatsApp {
  /** AWS's message id (what the SDK returns). */
  messageId: string;
  /** The WhatsApp message id Meta gave it (what statuses name). */
  wamid: string;
  request: AwsRecordedRequest;
  body: { originationPhoneNumberId?: string; metaApiVersion?: string; message?: string };
  /** `body.message` decoded: Meta's message JSON. */
  message: Record<string, unknown>;
}

export interface WhatsAppFake extends AwsFake {
  sent: SentWhatsApp[];
}

export function startWhatsAppFake(): Promise<WhatsAppFake> {
  return startSendFake<SentWhatsApp>('rest-json', (req) => req.method === 'POST' && req.path === '/v1/whatsapp/send', (req) => {
    const body = (req.body ?? {}) as SentWhatsApp['body'];
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(Buffer.from(body.message ?? '', 'base64').toString('utf8')) as Record<string, unknown>;
    } catch {
      return { refuse: { status: 400, body: { __type: 'InvalidParametersException', message: 'message is not Meta JSON' } } };
    }
    const record = { messageId: randomUUID(), wamid: `wamid.${randomBytes(24).toString('base64url')}`, request: req, body, message };
    return { record, answer: { messageId: record.messageId } };
  });
}

const BUSINESS = { display_phone_number: '15550001111', phone_number_id: '574086085794038' };

/** The SNS `Message` End User Messaging Social publishes: its header, Meta's entry as a JSON string. */
export function socialEvent(value: Record<string, unknown>, awsMessageId?: string): Record<string, unknown> {
  const entry = { id: '1163793972139053', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: BUSINESS, ...value } }] };
  return {
    context: { MetaWabaIds: [{ wabaId: '1163793972139053', arn: 'arn:aws:social-messaging:us-east-1:123456789012:waba/fb2594b8a7974770b128a409e2example' }], MetaPhoneNumberIds: [{ metaPhoneNumberId: BUSINESS.phone_number_id, arn: 'arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/976c72a700aac43eaf573ae050example' }] },
    whatsAppWebhookEntry: JSON.stringify(entry),
    aws_account_id: '123456789012',
    message_timestamp: new Date().toISOString(),
    ...(awsMessageId !== undefined ? { messageId: awsMessageId } : {}),
  };
}

/** A Meta status for a sent message; `withAwsId: false` leaves out AWS's message id. */
export function whatsappStatus(sent: SentWhatsApp, status: 'sent' | 'delivered' | 'read' | 'failed', options: { withAwsId?: boolean; error?: { code: number; title: string } } = {}): Record<string, unknown> {
  const s = { id: sent.wamid, status, timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: String(sent.message.to).replace('+', ''), ...(options.error ? { errors: [options.error] } : {}) };
  return socialEvent({ statuses: [s] }, options.withAwsId === false ? undefined : sent.messageId);
}

/** A user's text to the business number, as Meta reports it. */
export function whatsappInbound(from: string, text: string, wamid = `wamid.${randomBytes(12).toString('hex')}`): Record<string, unknown> {
  const digits = from.replace('+', '');
  return socialEvent({
    contacts: [{ profile: { name: 'Ann' }, wa_id: digits }],
    messages: [{ from: digits, id: wamid, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: text } }],
  });
}
