import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundRecord } from '../../src/model.js';
import { deliveredEvent, receivedEvent, statusEvent } from '../fakes/bandwidth-fake.js';
import { EMPTY_TWIML } from '../../plugins/twilio/webhooks.js';
import {
  API_KEY, BW_FROM, CUSTOMER, READ_KEY, TWILIO_FROM,
  bandwidthCallback, metric, metricsText, send, startHarness, twilioInbound, twilioStatus, waitMessage,
  type Harness,
} from './harness.js';

const OTHER = '+15559990000';

describe('provider webhooks: duplicates and inbound messages', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  async function inbound(query: string, key = API_KEY): Promise<InboundRecord[]> {
    const res = await h.gw.request.get(`/v1/inbound${query}`).set('x-api-key', key);
    expect(res.status).toBe(200);
    return res.body.items as InboundRecord[];
  }

  it('the same Twilio status twice is one receipt on the attempt', async () => {
    const id = await send(h, 'twilio-sms');
    let m = await waitMessage(h, id, (got) => expect(got.attempts[0]?.status).toBe('queued'));
    const sid = m.attempts[0].providerMessageId!;

    expect((await twilioStatus(h, sid, 'delivered')).status).toBe(200);
    m = await waitMessage(h, id, (got) => expect(got.status).toBe('delivered'));
    const history = m.history.length;
    expect((await twilioStatus(h, sid, 'delivered')).status).toBe(200);

    m = await waitMessage(h, id, (got) => expect(got.status).toBe('delivered'));
    expect(m.attempts[0].receipts.map((r) => r.status)).toEqual(['delivered']);
    expect(m.history).toHaveLength(history);
    const text = await metricsText(h);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'twilio-us', kind: 'status', result: 'applied' })).toBe(1);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'twilio-us', kind: 'status', result: 'duplicate' })).toBe(1);
    expect(metric(text, 'switchboard_messages_total', { route: 'twilio-sms', outcome: 'delivered' })).toBe(1);
    expect(metric(text, 'switchboard_attempts_total', { provider: 'twilio-us', status: 'delivered' })).toBe(1);
  });

  it('Bandwidth retrying the same event array is applied once', async () => {
    const id = await send(h, 'bw-sms');
    await waitMessage(h, id, (got) => expect(got.attempts[0]?.status).toBe('queued'));
    const events = [statusEvent('message-sending', h.bw.sent[0]), deliveredEvent(h.bw.sent[0])];

    expect((await bandwidthCallback(h, events)).status).toBe(200);
    const first = await waitMessage(h, id, (got) => expect(got.status).toBe('delivered'));
    expect((await bandwidthCallback(h, events)).status).toBe(200);
    expect((await bandwidthCallback(h, events)).status).toBe(200);

    const m = await waitMessage(h, id, (got) => expect(got.status).toBe('delivered'));
    expect(m.attempts[0].receipts.map((r) => r.status)).toEqual(['sent', 'delivered']);
    expect(m.history).toEqual(first.history);
    const text = await metricsText(h);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'bandwidth', kind: 'callbacks', result: 'applied' })).toBe(2);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'bandwidth', kind: 'callbacks', result: 'duplicate' })).toBe(4);
    expect(metric(text, 'switchboard_messages_total', { route: 'bw-sms' })).toBe(1);
  });

  it('a signed Twilio inbound message gets empty TwiML, is stored once, and is listed with filters', async () => {
    const wa = twilioInbound(h, { from: `whatsapp:${CUSTOMER}`, to: `whatsapp:${TWILIO_FROM}`, body: 'Hi there' });
    const first = await wa.request();
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toMatch(/^text\/xml/);
    expect(first.text).toBe(EMPTY_TWIML);
    expect(first.text).toContain('<Response/>');
    // Twilio re-sends when it did not get the answer in time: same MessageSid, same signature.
    const again = await wa.request();
    expect(again.status).toBe(200);
    expect(again.text).toBe(EMPTY_TWIML);

    const sms = await twilioInbound(h, {
      from: OTHER, to: TWILIO_FROM, body: 'photo', media: [{ url: 'https://api.twilio.com/media/ME1', contentType: 'image/jpeg' }],
    }).request();
    expect(sms.status).toBe(200);
    const plain = await twilioInbound(h, { from: OTHER, to: TWILIO_FROM, body: 'STOP please' }).request();
    expect(plain.status).toBe(200);

    const all = await inbound('?instance=twilio-us', READ_KEY);
    expect(all).toHaveLength(3);
    const waItems = await inbound('?instance=twilio-us&channel=whatsapp');
    expect(waItems).toHaveLength(1);
    expect(waItems[0]).toMatchObject({
      instance: 'twilio-us', channel: 'whatsapp', from: CUSTOMER, to: TWILIO_FROM, text: 'Hi there',
      providerMessageId: wa.params.MessageSid,
    });
    const mms = await inbound('?channel=mms');
    expect(mms).toHaveLength(1);
    expect(mms[0]).toMatchObject({ from: OTHER, media: ['https://api.twilio.com/media/ME1'], details: { mediaContentTypes: ['image/jpeg'] } });
    const smsItems = await inbound('?instance=twilio-us&channel=sms');
    expect(smsItems.map((r) => r.text)).toEqual(['STOP please']);
    expect(await inbound(`?from=${encodeURIComponent(CUSTOMER)}`)).toHaveLength(1);
    expect(await inbound('?instance=bandwidth')).toHaveLength(0);

    const text = await metricsText(h);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'twilio-us', kind: 'inbound', result: 'stored' })).toBe(3);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'twilio-us', kind: 'inbound', result: 'duplicate' })).toBe(1);
    expect(metric(text, 'switchboard_inbound_messages_total', { provider: 'twilio-us', channel: 'whatsapp' })).toBe(1);

    // Inbound needs a key with read scope like every /v1 read.
    expect((await h.gw.request.get('/v1/inbound')).status).toBe(401);
  });

  it('inbound text with non-ASCII and form-special characters keeps its signature and its text', async () => {
    const text = 'Olá + 😀 & co=1 [x] a[b]=c 100%';
    const res = await twilioInbound(h, { from: CUSTOMER, to: TWILIO_FROM, body: text }).request();
    expect(res.status).toBe(200);
    expect(res.text).toBe(EMPTY_TWIML);
    const items = await inbound('?instance=twilio-us');
    expect(items.map((r) => r.text)).toEqual([text]);
    // A filter value outside the known channels is a 400, not an empty list.
    const bad = await h.gw.request.get('/v1/inbound?channel=fax').set('x-api-key', API_KEY);
    expect(bad.status).toBe(400);
  });

  it('Bandwidth message-received on /webhooks/bandwidth/inbound is stored once and listed', async () => {
    const event = receivedEvent({ from: CUSTOMER, to: BW_FROM, text: 'hello from sms', applicationId: 'bw-app-int-0001' });
    const mms = receivedEvent({ from: OTHER, to: BW_FROM, text: '', media: ['https://messaging.bandwidth.com/api/v2/users/9900000/media/abc.jpg'] });
    expect((await bandwidthCallback(h, [event], { kind: 'inbound' })).status).toBe(200);
    expect((await bandwidthCallback(h, [event], { kind: 'inbound' })).status).toBe(200);
    expect((await bandwidthCallback(h, [mms, event], { kind: 'callbacks' })).status).toBe(200);

    const items = await inbound('?instance=bandwidth');
    expect(items).toHaveLength(2);
    const sms = await inbound('?instance=bandwidth&channel=sms');
    expect(sms).toHaveLength(1);
    expect(sms[0]).toMatchObject({ instance: 'bandwidth', channel: 'sms', from: CUSTOMER, to: BW_FROM, text: 'hello from sms', providerMessageId: event.message.id });
    const mmsItems = await inbound('?instance=bandwidth&channel=mms');
    expect(mmsItems).toHaveLength(1);
    expect(mmsItems[0].media).toEqual(mms.message.media);
    expect(mmsItems[0].text).toBeUndefined();
    expect(await inbound('?instance=twilio-us')).toHaveLength(0);

    const text = await metricsText(h);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'bandwidth', kind: 'inbound', result: 'stored' })).toBe(1);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'bandwidth', kind: 'inbound', result: 'duplicate' })).toBe(1);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'bandwidth', kind: 'callbacks', result: 'stored' })).toBe(1);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'bandwidth', kind: 'callbacks', result: 'duplicate' })).toBe(1);
  });
});
