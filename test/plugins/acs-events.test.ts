import { describe, expect, it } from 'vitest';
import { createAcsProvider, type AcsOptions } from '../../plugins/acs/index.js';
import type { WebhookHandler, WebhookResult } from '../../src/plugin-api.js';
import { cloudEventsBody, deliveryStatus, eventGridBody, received, validationEvent } from '../fakes/event-grid.js';
import { pluginDeps } from '../helpers/plugin-deps.js';
import { jsonWebhook } from '../helpers/plugin-options.js';

const SECRET = 'event-grid-secret-0123456789';
const CHANNEL = '7c3f1e0a-1111-4a2b-9c3d-0000000000aa';
const options: AcsOptions = Object.freeze({
  endpoint: 'https://contoso.communication.azure.com', accessKey: 'a2V5', channelRegistrations: { whatsapp: CHANNEL },
  authorityHost: 'https://login.microsoftonline.com', allowInsecure: false, webhookSecret: SECRET, defaultLanguage: 'en_US', timeout: '1s',
});
const hook = (extra: Partial<AcsOptions> = {}) => createAcsProvider({ ...options, ...extra }, pluginDeps('acs')).webhooks?.events as WebhookHandler;
const URL_OK = `https://gw.example.test/webhooks/acs/events?code=${SECRET}`;
const ok = async (result: WebhookResult | Promise<WebhookResult>) => {
  const r = await result;
  if (!r.ok) throw new Error(`rejected: ${r.reason}`);
  return r;
};

describe('acs plugin: Event Grid events', () => {
  it('answers the Event Grid subscription validation with 200 {validationResponse}', async () => {
    const r = await ok(hook()(jsonWebhook(URL_OK, validationEvent('512d38b6-c7b8-40c8-89fe-f46f9e9622b6'))));
    expect(r.events).toEqual([]);
    expect(r.reply).toEqual({ status: 200, contentType: 'application/json', body: '{"validationResponse":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}' });
  });

  it('answers the CloudEvents OPTIONS handshake with the allowed origin', async () => {
    const r = await ok(hook()(jsonWebhook(URL_OK, '', { 'webhook-request-origin': 'eventgrid.azure.net' }, 'OPTIONS')));
    expect(r.reply?.headers).toMatchObject({ 'WebHook-Allowed-Origin': 'eventgrid.azure.net', 'WebHook-Allowed-Rate': '*' });
  });

  it('maps delivery status in both schemas: Sent, Delivered, Read, and Failed with the channel code', async () => {
    const events = [
      deliveryStatus('m-1', 'Sent'), deliveryStatus('m-1', 'Delivered'), deliveryStatus('m-1', 'Read'),
      deliveryStatus('m-2', 'Failed', { channelCode: '131026', channelMessage: 'Message Undeliverable.' }),
      deliveryStatus('m-3', 'Failed', { channelCode: '131047', channelMessage: 'Re-engagement message' }),
    ];
    for (const body of [eventGridBody(events), cloudEventsBody(events)]) {
      const r = await ok(hook()(jsonWebhook(URL_OK, body)));
      expect(r.events.map((e) => e.type === 'status' && [e.providerMessageId, e.status, e.errorCode, e.signal])).toEqual([
        ['m-1', 'sent', undefined, undefined], ['m-1', 'delivered', undefined, undefined], ['m-1', 'read', undefined, undefined],
        ['m-2', 'failed', '131026', undefined], ['m-3', 'failed', '131047', 'outside_window'],
      ]);
      expect(r.events[3]).toMatchObject({ errorReason: 'Message Undeliverable.' });
    }
  });

  it('maps received messages: text, media as the ACS stream, button and list replies as text with details; a single CloudEvent too', async () => {
    const events = [
      received('15554440001', CHANNEL, { content: 'hola' }),
      received('15554440001', CHANNEL, { messageType: 'image', media: { id: 'media-1', mimeType: 'image/jpeg', caption: 'look' } }),
      received('15554440001', CHANNEL, { messageType: 'button', button: { text: 'Yes', payload: 'confirm' } }),
      received('15554440001', CHANNEL, { messageType: 'interactive', interactive: { type: 'listReply', listReply: { id: 'slot-2', title: 'Tomorrow', description: '9–12' } } }),
    ];
    const r = await ok(hook()(jsonWebhook(URL_OK, eventGridBody(events))));
    expect(r.events).toEqual([
      expect.objectContaining({ type: 'inbound', channel: 'whatsapp', from: '+15554440001', to: CHANNEL, text: 'hola', providerMessageId: events[0].data.messageId }),
      expect.objectContaining({ text: 'look', media: ['https://contoso.communication.azure.com/messages/streams/media-1'], details: expect.objectContaining({ mimeType: 'image/jpeg' }) }),
      expect.objectContaining({ text: 'Yes', details: expect.objectContaining({ payload: 'confirm' }) }),
      expect.objectContaining({ text: 'Tomorrow', details: expect.objectContaining({ replyId: 'slot-2', description: '9–12', replyType: 'listReply' }) }),
    ]);
    const single = await ok(hook()(jsonWebhook(URL_OK, cloudEventsBody([events[0]], false))));
    expect(single.events).toHaveLength(1);
  });

  it('takes the secret as ?code= or x-webhook-secret; refuses it missing, wrong, or not configured — handshakes included', async () => {
    const body = eventGridBody([deliveryStatus('m-1', 'Delivered')]);
    const plain = 'https://gw.example.test/webhooks/acs/events';
    expect(await hook()(jsonWebhook(plain, body, { 'x-webhook-secret': SECRET }))).toMatchObject({ ok: true });
    expect(await hook()(jsonWebhook(plain, body))).toMatchObject({ ok: false, status: 401 });
    expect(await hook()(jsonWebhook(`${plain}?code=forged-secret-0000000000`, body))).toMatchObject({ ok: false, status: 401 });
    expect(await hook()(jsonWebhook(plain, validationEvent('c0de')))).toMatchObject({ ok: false, status: 401 });
    expect(await hook()(jsonWebhook(plain, '', {}, 'OPTIONS'))).toMatchObject({ ok: false, status: 401 });
    expect(await hook({ webhookSecret: undefined })(jsonWebhook(URL_OK, validationEvent('c0de')))).toMatchObject({ ok: false, status: 401, reason: expect.stringContaining('not configured') });
  });

  it('bad bodies are 400; unknown event types are acknowledged and counted as ignored; repeats of an event id count once', async () => {
    for (const bad of ['not json', '"text"', '42', '{"id":"1","eventType":"x","data":{}}', '[1]', '[{"id":"1"}]', '{"specversion":"0.3","id":"1","type":"x"}']) {
      expect(await hook()(jsonWebhook(URL_OK, bad))).toMatchObject({ ok: false, status: 400 });
    }
    const status = deliveryStatus('m-9', 'Delivered');
    const unknown = { ...deliveryStatus('m-9', 'Delivered'), eventType: 'Microsoft.Communication.AdvancedMessageAnalysisCompleted' };
    const r = await ok(hook()(jsonWebhook(URL_OK, eventGridBody([status, status, unknown]))));
    expect(r.events).toHaveLength(1);
    expect(r.ignored).toBe(1);
  });
});
