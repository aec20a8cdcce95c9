import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/model.js';
import { deliveryStatus } from '../fakes/event-grid.js';
import { postJson } from '../fakes/fake-server.js';
import { report, resultsBody } from '../fakes/infobip-fake.js';
import { eventually } from '../helpers/gateway.js';
import { API_KEY, CUSTOMER, INFOBIP_SECRET, PUBLIC, SMS_CHANNEL, WA_CHANNEL, startAzureHarness, type AzureHarness } from './setup.js';

/**
 * Issue 11's "Done when", as a new user tries it: the example pointed at the fakes, WhatsApp
 * through ACS that Event Grid reports Failed (131026), SMS through ACS Messaging Connect that
 * answers 503, Infobip direct inside the same step, and an Infobip report that ends it delivered.
 */
describe('examples/azure-messaging-connect.yaml against the ACS, Event Grid and Infobip fakes', () => {
  let h: AzureHarness;
  beforeEach(async () => {
    h = await startAzureHarness();
  });
  afterEach(() => h.close());

  const waitFor = (id: string, check: (m: Message) => void) => eventually(async () => {
    const m = await h.message(id);
    check(m);
    return m;
  });

  it('WhatsApp template via ACS → Failed 131026 → SMS via ACS (503) → Infobip direct → delivered from the Infobip report', async () => {
    const res = await h.gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({
      route: 'notify', to: { phone: CUSTOMER },
      content: { text: 'Your order A123 has shipped', channels: { whatsapp: { template: { name: 'order_shipped', language: 'en_US', variables: { order: 'A123' } } } } },
    });
    expect(res.status).toBe(202);
    const id = res.body.id as string;

    // 1. The template leaves through the real SDK, HMAC-signed (the fake recomputed it), on the WhatsApp registration.
    let m = await waitFor(id, (got) => expect(got.attempts[0]?.status).toBe('queued'));
    const wa = h.acs.sent[0];
    expect(wa).toMatchObject({ auth: 'hmac', apiVersion: '2024-08-30' });
    expect(wa.body).toEqual({
      channelRegistrationId: WA_CHANNEL, to: [CUSTOMER], kind: 'template',
      template: { name: 'order_shipped', language: 'en_US', values: [{ kind: 'text', name: 'order', text: 'A123' }], bindings: { kind: 'whatsApp', body: [{ refValue: 'order' }] } },
    });
    expect(m.attempts[0]).toMatchObject({ provider: 'acs', channel: 'whatsapp', providerMessageId: wa.messageId });

    // 2. Event Grid: the handshake first (as a subscription does), then Sent and Failed 131026.
    const grid = h.grid('eventgrid');
    expect(await grid.handshake()).toEqual({ ok: true, status: 200 });
    h.acs.failNext({ status: 503, headers: { 'retry-after': '1' } });
    const delivery = await grid.publish([
      deliveryStatus(wa.messageId, 'Sent'),
      deliveryStatus(wa.messageId, 'Failed', { channelCode: '131026', channelMessage: 'Message Undeliverable.' }),
    ]);
    expect(delivery.status).toBe(200);

    // 3. The SMS step: ACS Messaging Connect answers 503, Infobip takes it inside the same step.
    m = await waitFor(id, (got) => expect(got.attempts[2]?.status).toBe('queued'));
    expect(m.attempts[0]).toMatchObject({ status: 'failed', errorCode: '131026', errorReason: 'Message Undeliverable.' });
    expect(m.attempts[0].receipts.map((r) => r.status)).toEqual(['sent', 'failed']);
    expect(m.attempts[1]).toMatchObject({ provider: 'acs', channel: 'sms', status: 'error', errorCode: 'ServiceUnavailable', retryable: true });
    expect(m.attempts[2]).toMatchObject({ provider: 'infobip', channel: 'sms', step: 1 });
    expect(m.history.map((e) => e.event)).toContain('provider_failover');
    expect(h.acs.requests.at(-1)?.body).toMatchObject({ channelRegistrationId: SMS_CHANNEL, kind: 'text', content: 'Your order A123 has shipped' });

    const sms = h.infobip.sent[0];
    expect(h.infobip.requests.at(-1)?.headers.authorization).toBe(`App ${h.infobip.apiKey}`);
    expect(sms).toMatchObject({ channel: 'sms', from: 'ACME', to: CUSTOMER.slice(1), messageId: m.attempts[2].id, callbackData: m.attempts[2].id });
    expect(sms.notifyUrl).toBe(`${PUBLIC}/webhooks/infobip/reports?secret=${INFOBIP_SECRET}`);
    expect(sms.message).toMatchObject({ content: { text: 'Your order A123 has shipped' } });

    // 4. Infobip's delivery report, posted to the notifyUrl it was given: delivered.
    const dlr = await h.infobipPost(sms.notifyUrl!, resultsBody([report(sms, 'DELIVERED')]));
    expect(dlr.status).toBe(200);
    m = await waitFor(id, (got) => expect(got.status).toBe('delivered'));
    expect(m.attempts[2]).toMatchObject({ status: 'delivered', providerMessageId: sms.messageId });
  });

  it('the Event Grid handshake succeeds as curl sends it, and /health answers like the replaced service', async () => {
    const code = 'b7c9ad3e-12f4-4a8e-9c01-5d6e7f809a1b';
    const validation = [{ id: 'v1', topic: '/subscriptions/x', subject: '', data: { validationCode: code, validationUrl: 'https://rp.eventgrid.azure.net/validate' }, eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', eventTime: '2026-11-29T00:00:00Z', metadataVersion: '1', dataVersion: '2' }];
    const handshake = await postJson(`${h.origin}/webhooks/acs/events?code=event-grid-secret-0123456789abcdef`, validation, { 'aeg-event-type': 'SubscriptionValidation' });
    expect(handshake.status).toBe(200);
    expect(JSON.parse(handshake.text)).toEqual({ validationResponse: code });

    const options = await postJson(`${h.origin}/webhooks/acs/events?code=event-grid-secret-0123456789abcdef`, undefined, { 'webhook-request-origin': 'eventgrid.azure.net' }, 'OPTIONS');
    expect(options.status).toBe(200);
    expect(options.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');

    const health = await fetch(`${h.origin}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'healthy', messaging_connect_enabled: true, acs_endpoint: h.acs.url, service: 'consolidated-backend' });
  });
});
