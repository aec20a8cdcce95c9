import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundRecord, Message } from '../../src/model.js';
import { deliveryStatus, eventGridBody, received } from '../fakes/event-grid.js';
import { postJson } from '../fakes/fake-server.js';
import { inboundSms, report, resultsBody } from '../fakes/infobip-fake.js';
import { eventually } from '../helpers/gateway.js';
import { metric } from '../helpers/metrics.js';
import { API_KEY, CUSTOMER, EVENT_GRID_SECRET, INFOBIP_SECRET, WA_CHANNEL, startAzureHarness, type AzureHarness } from './setup.js';

const CONSENT = {
  consent: { optin: { hold: '2h', optIn: { default: { name: 'reconnect', language: 'en_US' } } } },
  'routes.notify.steps.0.consent': 'optin',
};

describe('Event Grid and Infobip callbacks through the gateway', () => {
  let h: AzureHarness;
  beforeEach(async () => {
    h = await startAzureHarness(CONSENT);
  });
  afterEach(() => h.close());

  const metrics = async () => (await h.gw.request.get('/metrics')).text;
  const webhooks = async (provider: string, result: string) => metric(await metrics(), 'switchboard_webhooks_total', { provider, result });
  const inbound = async () => ((await h.gw.request.get('/v1/inbound?instance=acs').set('x-api-key', API_KEY).expect(200)).body.items as InboundRecord[]);

  it('an inbound WhatsApp message (CloudEvents) releases the held message through ACS; its redelivery is stored once', async () => {
    const res = await h.gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({ route: 'notify', to: { phone: CUSTOMER }, content: { text: 'Your parcel is at the door' } });
    const id = res.body.id as string;
    await eventually(async () => expect((await h.gw.request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY)).body.status).toBe('held'));
    await eventually(() => expect(h.acs.sent.map((s) => s.body.kind)).toEqual(['template']));
    expect(h.acs.sent[0].body).toMatchObject({ channelRegistrationId: WA_CHANNEL, template: { name: 'reconnect', language: 'en_US' } });

    const grid = h.grid('cloudevents');
    expect(await grid.handshake()).toEqual({ ok: true, status: 200 });
    const reply = received(CUSTOMER.slice(1), WA_CHANNEL, { content: 'yes please' });
    expect((await grid.publish([reply])).status).toBe(200);
    expect((await grid.publish([reply])).status).toBe(200);

    const m = await eventually(async () => {
      const got = (await h.gw.request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY)).body as Message;
      expect(got.attempts.filter((a) => a.purpose !== 'optin').map((a) => a.status)).toEqual(['queued']);
      return got;
    });
    expect(h.acs.sent.at(-1)?.body).toEqual({ channelRegistrationId: WA_CHANNEL, to: [CUSTOMER], kind: 'text', content: 'Your parcel is at the door' });
    expect(m.status).not.toBe('held');
    expect(await inbound()).toEqual([expect.objectContaining({ channel: 'whatsapp', from: CUSTOMER, to: WA_CHANNEL, text: 'yes please' })]);
    expect(await webhooks('acs', 'duplicate')).toBe(1);
    const consent = (await h.gw.request.get(`/v1/consent/whatsapp/${encodeURIComponent(CUSTOMER)}`).set('x-api-key', API_KEY).expect(200)).body;
    expect(consent.senders).toEqual([expect.objectContaining({ sender: WA_CHANNEL, providers: ['acs'], window: expect.objectContaining({ open: true }) })]);
  });

  it('refuses forged and missing secrets with 401 (counted), a body that is not an array or an object with 400, one over the limit with 413', async () => {
    const url = `${h.origin}/webhooks/acs/events`;
    const body = eventGridBody([deliveryStatus('m-1', 'Delivered')]);
    expect((await postJson(`${url}?code=forged-0000000000000000`, body)).status).toBe(401);
    expect((await postJson(url, body)).status).toBe(401);
    expect((await postJson(url, body, { 'x-webhook-secret': 'forged-0000000000000000' })).status).toBe(401);
    expect((await postJson(url, undefined, { 'webhook-request-origin': 'eventgrid.azure.net' }, 'OPTIONS')).status).toBe(401);
    expect(await webhooks('acs', 'rejected_credentials')).toBe(4);
    expect(await webhooks('acs', 'rejected_signature')).toBe(0);
    const notJson = await postJson(`${url}?code=${EVENT_GRID_SECRET}`, '"just a string"');
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.text)).toMatchObject({ code: 'bad_request' });
    const huge = eventGridBody([received(CUSTOMER.slice(1), WA_CHANNEL, { content: 'x'.repeat(1_100_000) })]);
    const tooBig = await postJson(`${url}?code=${EVENT_GRID_SECRET}`, huge);
    expect(tooBig.status).toBe(413);
    expect(await inbound()).toEqual([]);
  });

  it('acknowledges unknown event types and status for unknown messages, each counted, nothing lost', async () => {
    const analysis = { ...received(CUSTOMER.slice(1), WA_CHANNEL, {}), eventType: 'Microsoft.Communication.AdvancedMessageAnalysisCompleted' };
    const res = await postJson(`${h.origin}/webhooks/acs/events`, eventGridBody([analysis, deliveryStatus('not-ours', 'Delivered')]), { 'x-webhook-secret': EVENT_GRID_SECRET });
    expect(res.status).toBe(200);
    expect(await webhooks('acs', 'ignored')).toBe(1);
    expect(await webhooks('acs', 'parked')).toBe(1);
  });

  it('Infobip: an unknown report is recorded (200), an inbound SMS with Basic auth is stored, a wrong secret is 401; OPTIONS elsewhere keeps the router answer', async () => {
    const url = `${h.origin}/webhooks/infobip`;
    const unknown = await postJson(`${url}/reports?secret=${INFOBIP_SECRET}`, resultsBody([report({ messageId: 'never-sent', to: '15554440001' }, 'EXPIRED')]));
    expect(unknown.status).toBe(200);
    expect(await webhooks('infobip', 'parked')).toBe(1);

    const basic = `Basic ${Buffer.from(`infobip:${INFOBIP_SECRET}`).toString('base64')}`;
    expect((await postJson(`${url}/inbound`, resultsBody([inboundSms('15554440001', '15550009999', 'HELLO there')]), { authorization: basic })).status).toBe(200);
    const stored = (await h.gw.request.get('/v1/inbound?instance=infobip').set('x-api-key', API_KEY).expect(200)).body.items as InboundRecord[];
    expect(stored).toEqual([expect.objectContaining({ channel: 'sms', from: CUSTOMER, to: '+15550009999', text: 'HELLO there' })]);
    expect((await postJson(`${url}/inbound?secret=wrong-secret-000000000`, resultsBody([]))).status).toBe(401);

    const options = await postJson(`${url}/reports`, undefined, {}, 'OPTIONS');
    expect(options.status).toBe(200);
    expect(options.headers.get('allow')).toContain('POST');
  });
});
