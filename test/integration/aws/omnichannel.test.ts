/**
 * The omnichannel fallback stack's scenario, end to end: its body at `/v1/omnichannel`, the real
 * AWS SDK clients against the fakes, receipts and inbound messages through signed SNS posts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, eventually } from '../../helpers/gateway.js';
import { metric } from '../../helpers/metrics.js';
import { socialEvent, whatsappInbound, whatsappStatus } from '../../fakes/aws/whatsapp-fake.js';
import { CUSTOMER_EMAIL, CUSTOMER_PHONE, SMS_FROM, TOPIC, WA_FROM, WA_PHONE_ID, metricsText, startAwsHarness, waitFor, type AwsHarness } from './harness.js';

const COMPAT = 'compat: { omnichannel: { providers: { email: ses, sms: aws-sms, whatsapp: aws-wa }, within: 1m } }';
let h: AwsHarness;
beforeAll(async () => {
  h = await startAwsHarness(undefined, COMPAT);
});
afterAll(() => h.close());

const whatsapp = { channel: 'whatsapp', sender: WA_FROM, recipient: CUSTOMER_PHONE, whatsapp: { message: 'Your order shipped' } };
const email = { channel: 'email', sender: 'no-reply@shop.example', recipient: CUSTOMER_EMAIL, email: { subject: 'Your order', text: 'It shipped', configuration_set: 'omni-events' } };
const sms = { channel: 'sms', sender: SMS_FROM, recipient: CUSTOMER_PHONE, sms: { message: 'Your order shipped', message_type: 'PROMOTIONAL' } };

async function omni(body: unknown, key = API_KEY) {
  return h.gw.request.post('/v1/omnichannel').set('x-api-key', key).send(body as object);
}

async function accepted(body: unknown): Promise<string> {
  const res = await omni(body);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect(res.body).toEqual({ id: expect.any(String), status: 'accepted' });
  return res.body.id as string;
}

const sesEvent = (messageId: string, eventType: string, extra: Record<string, unknown> = {}) => ({ eventType, mail: { messageId, timestamp: new Date().toISOString() }, ...extra });
const smsEvent = (messageId: string, eventType: string) => ({ eventType, eventVersion: '1.0', eventTimestamp: Date.now(), messageId, messageStatus: 'DELIVERED', isFinal: true });

describe('omnichannel API over AWS', () => {
  it('WhatsApp first; no delivery within fallback_seconds → email through SES → an SNS Delivery event ends it delivered', async () => {
    const sentBefore = h.wa.sent.length;
    const id = await accepted({ use_case: 'fallback', fallback_seconds: 1, pc: whatsapp, fc: email });

    let m = await waitFor(h, id, (got) => expect(got.attempts[0]?.status).toBe('queued'));
    expect(m.route).toBe('inline');
    expect(m.plan).toEqual({ mode: 'fallback', resendUnknown: false, steps: [
      { channel: 'whatsapp', providers: ['aws-wa'], until: 'delivered', within: '1s', from: WA_FROM },
      { channel: 'email', providers: ['ses'], until: 'delivered', within: '1m', from: 'no-reply@shop.example' },
    ] });
    const wa = h.wa.sent[sentBefore];
    expect(wa.body).toMatchObject({ originationPhoneNumberId: WA_PHONE_ID, metaApiVersion: 'v20.0' });
    expect(wa.message).toEqual({ messaging_product: 'whatsapp', recipient_type: 'individual', to: CUSTOMER_PHONE, type: 'text', text: { body: 'Your order shipped', preview_url: false } });
    expect(m.attempts[0].providerMessageId).toBe(wa.messageId);
    // WhatsApp says only "sent": not the delivered the step waits for.
    expect((await h.post('aws-wa', h.sns.notification(TOPIC, whatsappStatus(wa, 'sent')))).status).toBe(200);

    m = await waitFor(h, id, (got) => expect(got.attempts[1]?.status).toBe('queued'));
    expect(m.steps[0].state).toBe('timed_out');
    expect(m.history.find((e) => e.event === 'fallback')?.cause).toBe('fallback: no delivered receipt within 1s');
    const mail = h.ses.sent.at(-1)!;
    expect(mail.body).toMatchObject({
      FromEmailAddress: 'no-reply@shop.example', Destination: { ToAddresses: [CUSTOMER_EMAIL] }, ConfigurationSetName: 'omni-events',
      Content: { Simple: { Subject: { Data: 'Your order' }, Body: { Text: { Data: 'It shipped' } } } },
      EmailTags: [{ Name: 'switchboard-attempt', Value: m.attempts[1].id }, { Name: 'switchboard-message', Value: id }],
    });

    expect((await h.post('ses', h.sns.notification(TOPIC, sesEvent(mail.messageId, 'Delivery', { delivery: { smtpResponse: '250 OK' } })))).status).toBe(200);
    m = await waitFor(h, id, (got) => expect(got.status).toBe('delivered'));
    expect(m.attempts.map((a) => [a.channel, a.provider, a.status])).toEqual([['whatsapp', 'aws-wa', 'sent'], ['email', 'ses', 'delivered']]);
    const text = await metricsText(h);
    expect(metric(text, 'switchboard_fallbacks_total', { route: 'inline', from_channel: 'whatsapp', to_channel: 'email', reason: 'timeout' })).toBe(1);
  });

  it('broadcast sends on both channels at once; SMS is delivered by TEXT_DELIVERED and WhatsApp is read', async () => {
    const [smsBefore, waBefore] = [h.sms.sent.length, h.wa.sent.length];
    const id = await accepted({ use_case: 'broadcast', pc: sms, fc: whatsapp });
    let m = await waitFor(h, id, (got) => expect(got.attempts.filter((a) => a.status === 'queued')).toHaveLength(2));
    expect(m.plan.mode).toBe('broadcast');
    const text = h.sms.sent[smsBefore];
    expect(text.body).toEqual({
      DestinationPhoneNumber: CUSTOMER_PHONE, OriginationIdentity: SMS_FROM, MessageBody: 'Your order shipped', MessageType: 'PROMOTIONAL',
      ConfigurationSetName: 'sms-events', Context: { switchboardAttempt: m.attempts.find((a) => a.channel === 'sms')!.id, switchboardMessage: id },
    });
    const wa = h.wa.sent[waBefore];
    expect((await h.post('aws-sms', h.sns.notification(TOPIC, smsEvent(text.messageId, 'TEXT_DELIVERED')))).status).toBe(200);
    // Meta's read status names only the WhatsApp id once the AWS id was learned from "delivered".
    expect((await h.post('aws-wa', h.sns.notification(TOPIC, whatsappStatus(wa, 'delivered')))).status).toBe(200);
    expect((await h.post('aws-wa', h.sns.notification(TOPIC, whatsappStatus(wa, 'read', { withAwsId: false })))).status).toBe(200);
    m = await waitFor(h, id, (got) => expect(got.completedAt).toBeDefined());
    expect(m.attempts.map((a) => [a.channel, a.status]).sort()).toEqual([['sms', 'delivered'], ['whatsapp', 'read']]);
    expect(m.status).toBe('read');
  });

  it('an SES Bounce fails email at once and the fallback SMS starts without waiting', async () => {
    const smsBefore = h.sms.sent.length;
    const bounced = 'bounce-me@example.com';
    const id = await accepted({ use_case: 'fallback', fallback_seconds: 600, pc: { ...email, recipient: bounced }, fc: sms });
    const sesId = (await waitFor(h, id, (got) => expect(got.attempts[0]?.providerMessageId).toBeDefined())).attempts[0].providerMessageId!;
    const bounce = sesEvent(sesId, 'Bounce', { bounce: { bounceType: 'Permanent', bounceSubType: 'NoEmail', bouncedRecipients: [{ emailAddress: bounced }] } });
    expect((await h.post('ses', h.sns.notification(TOPIC, bounce))).status).toBe(200);
    const m = await waitFor(h, id, (got) => expect(got.attempts[1]?.status).toBe('queued'));
    expect(m.steps[0].state).toBe('failed');
    expect(h.sms.sent).toHaveLength(smsBefore + 1);
    expect(h.sms.sent.at(-1)!.body.DestinationPhoneNumber).toBe(CUSTOMER_PHONE);
  });

  it('stores an inbound WhatsApp message that comes through SNS, once, and opens the customer-service window', async () => {
    const inbound = h.sns.notification(TOPIC, whatsappInbound('+15559990000', 'Where is my order?', 'wamid.INBOUND1'));
    expect((await h.post('aws-wa', inbound)).status).toBe(200);
    expect((await h.post('aws-wa', inbound)).status).toBe(200);
    const list = await h.gw.request.get('/v1/inbound?instance=aws-wa').set('x-api-key', API_KEY).expect(200);
    expect(list.body.items).toEqual([expect.objectContaining({ channel: 'whatsapp', from: '+15559990000', to: WA_FROM, text: 'Where is my order?', providerMessageId: 'wamid.INBOUND1' })]);
    const consent = await h.gw.request.get('/v1/consent/whatsapp/+15559990000').set('x-api-key', API_KEY).expect(200);
    expect(JSON.stringify(consent.body)).toContain(WA_FROM);
    // Other notifications of the WABA (account updates) are acknowledged and ignored.
    const other = { ...socialEvent({}), whatsAppWebhookEntry: JSON.stringify({ changes: [{ field: 'account_update', value: {} }] }) };
    expect((await h.post('aws-wa', h.sns.notification(TOPIC, other))).status).toBe(200);
  });

  it('a two-way STOP through SNS suppresses the number on the SMS sender, and the next SMS step is skipped', async () => {
    const person = '+15558887777';
    const stop = { originationNumber: person, destinationNumber: SMS_FROM, messageKeyword: 'KEYWORD_123456789012', messageBody: 'STOP', inboundMessageId: 'in-stop-1' };
    expect((await h.post('aws-sms', h.sns.notification(TOPIC, stop))).status).toBe(200);
    await eventually(async () => {
      const list = await h.gw.request.get('/v1/suppressions?channel=sms').set('x-api-key', API_KEY).expect(200);
      expect(list.body.items).toEqual([expect.objectContaining({ sender: SMS_FROM, address: person, source: 'keyword' })]);
    });
    const smsBefore = h.sms.sent.length;
    const id = await accepted({ pc: { ...sms, recipient: person } });
    const m = await waitFor(h, id, (got) => expect(got.completedAt).toBeDefined());
    expect(m.steps[0].state).toBe('skipped');
    expect(h.sms.sent).toHaveLength(smsBefore);
  });

  it.each([
    ['a missing pc', { fc: sms }, /\/pc|pc/],
    ['an unknown channel', { pc: { ...sms, channel: 'pigeon' } }, /channel/],
    ['a non-numeric fallback_seconds', { fallback_seconds: 'soon', pc: whatsapp, fc: email }, /fallback_seconds/],
    ['a channel without its content', { pc: { channel: 'sms', recipient: CUSTOMER_PHONE } }, /needs its "sms" object/],
    ['an email without text, html or template', { pc: { ...email, email: { subject: 'x' } } }, /needs text, html or template/],
    ['a sender no instance may use', { pc: { ...sms, sender: '+15550009999' } }, /no provider of the step may send from "\+15550009999"/],
    ['the same channel twice', { pc: sms, fc: sms }, /different channels/],
    ['a recipient that is no phone number', { pc: { ...sms, recipient: 'nobody' } }, /\/to\/sms/],
    ['an email recipient that is no address', { pc: { ...email, recipient: 'nobody' } }, /\/to\/email/],
  ])('answers 400 for %s, and stores nothing', async (_name, body, message) => {
    const before = (await h.gw.request.get('/v1/messages?limit=100').set('x-api-key', API_KEY)).body.items.length;
    const res = await omni(body);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(`${res.body.message} ${JSON.stringify(res.body.details)}`).toMatch(message);
    expect((await h.gw.request.get('/v1/messages?limit=100').set('x-api-key', API_KEY)).body.items).toHaveLength(before);
  });

  it('needs an API key with the send scope, like POST /v1/messages', async () => {
    expect((await omni({ pc: sms }, 'wrong-key-0123456789')).status).toBe(401);
  });
});
