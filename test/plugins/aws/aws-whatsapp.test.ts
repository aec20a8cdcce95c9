import { describe, expect, it } from 'vitest';
import { createAwsWhatsAppProvider, createIdMap, parseWhatsAppNotification, type AwsWhatsAppOptions } from '../../../plugins/aws-whatsapp/index.js';
import type { OutboundMessage, WebhookResult } from '../../../src/plugin-api.js';
import { signedScope } from '../../fakes/aws/fake-server.js';
import { socialEvent, startWhatsAppFake, whatsappInbound, whatsappStatus, type WhatsAppFake } from '../../fakes/aws/whatsapp-fake.js';
import { useAwsFake } from '../../helpers/aws-fakes.js';
import { pluginDeps } from '../../helpers/plugin-deps.js';

const PHONE_ID = `phone-number-id-${'0a1b2c3d'.repeat(4)}`;
let fake: WhatsAppFake;
useAwsFake(startWhatsAppFake, (f) => {
  fake = f;
});

const options = (extra: Partial<AwsWhatsAppOptions> = {}): AwsWhatsAppOptions => Object.freeze({
  region: 'us-east-1', accessKeyId: 'AKIDWATEST0000000', secretAccessKey: 'wa-secret', endpoint: fake.url, timeout: '2s',
  originationPhoneNumberId: PHONE_ID, from: '+15550001111', metaApiVersion: 'v20.0', templateLanguage: 'en_US', ...extra,
});
const wa = (content: OutboundMessage['content']): OutboundMessage => ({ attemptId: '01JATTWA', messageId: '01JMSGWA', channel: 'whatsapp', to: '+15557654321', content });
const send = (message: OutboundMessage) => createAwsWhatsAppProvider(options(), pluginDeps('aws-wa')).send(message, { signal: new AbortController().signal });

describe('aws-whatsapp plugin: SendWhatsAppMessage through @aws-sdk/client-socialmessaging against the fake', () => {
  it('sends text as Meta JSON, base64 on the wire, with the phone number id and API version', async () => {
    const receipt = await send(wa({ text: 'Hello Ann' }));
    expect(receipt).toEqual({ providerMessageId: fake.sent[0].messageId, status: 'queued', details: { whatsappType: 'text' } });
    const { request, body, message } = fake.sent[0];
    expect(request.path).toBe('/v1/whatsapp/send');
    expect(signedScope(request)).toMatch(/\/us-east-1\/social-messaging\/aws4_request$/);
    expect(body.originationPhoneNumberId).toBe(PHONE_ID);
    expect(body.metaApiVersion).toBe('v20.0');
    expect(body.message).toBe(Buffer.from(JSON.stringify(message)).toString('base64'));
    expect(message).toEqual({ messaging_product: 'whatsapp', recipient_type: 'individual', to: '+15557654321', type: 'text', text: { body: 'Hello Ann', preview_url: false } });
  });

  it('sends templates with positional or named variables, and one media item with its caption', async () => {
    await send(wa({ template: { name: 'order_update', language: 'pt_BR', variables: ['Ann', '42'] } }));
    await send(wa({ template: { name: 'welcome', variables: { name: 'Ann' } } }));
    await send(wa({ text: 'Your invoice', media: ['https://cdn.example/inv.pdf'] }));
    await send(wa({ text: 'Look', media: ['https://cdn.example/p.JPG?x=1'] }));
    expect(fake.sent.map((s) => s.message)).toEqual([
      expect.objectContaining({ type: 'template', template: { name: 'order_update', language: { code: 'pt_BR', policy: 'deterministic' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ann' }, { type: 'text', text: '42' }] }] } }),
      expect.objectContaining({ type: 'template', template: { name: 'welcome', language: { code: 'en_US', policy: 'deterministic' }, components: [{ type: 'body', parameters: [{ type: 'text', parameter_name: 'name', text: 'Ann' }] }] } }),
      expect.objectContaining({ type: 'document', document: { link: 'https://cdn.example/inv.pdf', caption: 'Your invoice' } }),
      expect.objectContaining({ type: 'image', image: { link: 'https://cdn.example/p.JPG?x=1', caption: 'Look' } }),
    ]);
  });

  it('refuses, without a request, two media, audio with text, and nothing to send', async () => {
    for (const content of [{ media: ['https://a.example/1.png', 'https://a.example/2.png'] }, { text: 'x', media: ['https://a.example/v.mp3'] }, {}]) {
      await expect(send(wa(content))).rejects.toMatchObject({ reason: 'client', retryable: false });
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('classifies Meta refusals as permanent and throttling as retryable', async () => {
    fake.failNext({ status: 403, name: 'AccessDeniedByMetaException', message: 'denied' });
    await expect(send(wa({ text: 'x' }))).rejects.toMatchObject({ reason: 'auth', retryable: false, providerCode: 'AccessDeniedByMetaException' });
    fake.failNext({ status: 429, name: 'ThrottledRequestException', message: 'slow down' });
    await expect(send(wa({ text: 'x' }))).rejects.toMatchObject({ reason: 'rate_limited', retryable: true });
    fake.failNext({ status: 400, name: 'InvalidParametersException', message: 'bad template' });
    await expect(send(wa({ text: 'x' }))).rejects.toMatchObject({ reason: 'client', retryable: false });
  });
});

describe('aws-whatsapp SNS notifications', () => {
  const events = (result: WebhookResult) => {
    if (!result.ok) throw new Error(result.reason);
    return result.events;
  };
  const sent = { messageId: 'aws-msg-1', wamid: 'wamid.ABC', message: { to: '+15557654321' } } as never;

  it('maps statuses by the AWS message id, and learns the WhatsApp id so a status naming only it lands too', () => {
    const ids = createIdMap();
    expect(events(parseWhatsAppNotification(JSON.stringify(whatsappStatus(sent, 'delivered')), ids, '+15550001111'))).toEqual([
      { type: 'status', providerMessageId: 'aws-msg-1', status: 'delivered', at: expect.any(String), details: { whatsappMessageId: 'wamid.ABC' } },
    ]);
    expect(events(parseWhatsAppNotification(JSON.stringify(whatsappStatus(sent, 'read', { withAwsId: false })), ids, '+15550001111'))[0]).toMatchObject({ providerMessageId: 'aws-msg-1', status: 'read' });
    expect(events(parseWhatsAppNotification(JSON.stringify(whatsappStatus(sent, 'read', { withAwsId: false })), createIdMap(), '+15550001111'))[0]).toMatchObject({ providerMessageId: 'wamid.ABC' });
  });

  it('a failed status carries Meta’s code; 131047 tells the consent policy the window is closed', () => {
    const failed = events(parseWhatsAppNotification(JSON.stringify(whatsappStatus(sent, 'failed', { error: { code: 131047, title: 'Re-engagement message' } })), createIdMap(), '+15550001111'))[0];
    expect(failed).toMatchObject({ status: 'failed', errorCode: '131047', errorReason: 'Re-engagement message', signal: 'outside_window' });
  });

  it('turns a user message into an inbound event from E.164 to the business number', () => {
    expect(events(parseWhatsAppNotification(JSON.stringify(whatsappInbound('+15557654321', 'yes please', 'wamid.IN1')), createIdMap(), '+15550001111'))).toEqual([{
      type: 'inbound', channel: 'whatsapp', from: '+15557654321', to: '+15550001111', providerMessageId: 'wamid.IN1', text: 'yes please', receivedAt: expect.any(String),
      details: { messageType: 'text', profileName: 'Ann', phoneNumberId: '574086085794038' },
    }]);
  });

  it('answers 400 for messages that are not End User Messaging Social events; ignores other fields', () => {
    expect(parseWhatsAppNotification('x', createIdMap(), '')).toMatchObject({ ok: false, status: 400 });
    expect(parseWhatsAppNotification('{}', createIdMap(), '')).toMatchObject({ ok: false, status: 400, reason: expect.stringContaining('whatsAppWebhookEntry') });
    expect(parseWhatsAppNotification(JSON.stringify({ whatsAppWebhookEntry: '{oops' }), createIdMap(), '')).toMatchObject({ ok: false, status: 400 });
    const other = { ...socialEvent({}), whatsAppWebhookEntry: JSON.stringify({ changes: [{ field: 'account_update', value: {} }] }) };
    expect(parseWhatsAppNotification(JSON.stringify(other), createIdMap(), '')).toEqual({ ok: true, events: [] });
  });
});
