import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failedEvent, statusEvent, deliveredEvent, type FakeMessage } from '../fakes/bandwidth-fake.js';
import {
  ACCOUNT_SID, APPLICATION_ID, BW_FROM, CUSTOMER, PUBLIC_URL, TWILIO_FROM,
  bandwidthCallback, eventually, getMessage, metric, metricsText, send, startHarness, twilioCreates, twilioStatus, waitMessage,
  type Harness,
} from './harness.js';

describe('WhatsApp(Twilio) → SMS(Bandwidth) → SMS(Twilio), driven by provider callbacks', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('falls back on a signed undelivered, then on a Basic-auth message-failed, and ends delivered', async () => {
    const id = await send(h, 'wa-sms-sms', { phone: CUSTOMER }, 'Your code is 123456');

    // 1. WhatsApp through Twilio, with the SDK's real request to the fake.
    let m = await waitMessage(h, id, (got) => expect(got.attempts[0]?.status).toBe('queued'));
    expect(twilioCreates(h)).toHaveLength(1);
    const wa = twilioCreates(h)[0];
    expect(wa.accountSid).toBe(ACCOUNT_SID);
    expect(wa.auth).toEqual({ username: ACCOUNT_SID, password: expect.any(String) });
    expect(wa.form).toMatchObject({
      To: `whatsapp:${CUSTOMER}`,
      From: `whatsapp:${TWILIO_FROM}`,
      Body: 'Your code is 123456',
      StatusCallback: `${PUBLIC_URL}/webhooks/twilio-us/status`,
    });
    const waSid = m.attempts[0].providerMessageId!;
    expect(h.twilio.messages.get(waSid)?.to).toBe(`whatsapp:${CUSTOMER}`);
    expect(m).toMatchObject({ status: 'routing', steps: [{ state: 'active' }, { state: 'pending' }, { state: 'pending' }] });
    expect(h.bw.messageRequests()).toHaveLength(0);

    // 2. Twilio reports the WhatsApp message undelivered: the SMS step through Bandwidth starts at once.
    const sent = await twilioStatus(h, waSid, 'sent');
    expect(sent.status).toBe(200);
    const undelivered = await twilioStatus(h, waSid, 'undelivered', { errorCode: '63016' });
    expect(undelivered.status).toBe(200);
    m = await waitMessage(h, id, (got) => expect(got.attempts[1]?.status).toBe('queued'));
    expect(m.attempts[0]).toMatchObject({ channel: 'whatsapp', provider: 'twilio-us', status: 'undelivered', errorCode: '63016' });
    expect(m.attempts[0].errorReason).toContain('24-hour');
    expect(m.attempts[0].receipts.map((r) => r.status)).toEqual(['sent', 'undelivered']);
    expect(m.steps[0].state).toBe('failed');

    expect(h.bw.messageRequests()).toHaveLength(1);
    const bwReq = h.bw.messageRequests()[0];
    expect(bwReq.path).toBe(`/api/v2/users/${h.bw.accountId}/messages`);
    expect(bwReq.headers.authorization).toBe(`Bearer ${h.bw.grants[0].token}`);
    expect(bwReq.body).toMatchObject({ to: [CUSTOMER], from: BW_FROM, applicationId: APPLICATION_ID, text: 'Your code is 123456', tag: m.attempts[1].id });
    expect(m.attempts[1]).toMatchObject({ channel: 'sms', provider: 'bandwidth', providerMessageId: h.bw.sent[0].id });

    // 3. Bandwidth reports message-failed (Basic auth): the SMS step through Twilio starts at once.
    const failed = await bandwidthCallback(h, [failedEvent(h.bw.sent[0], 4720, 'invalid-destination-address')]);
    expect(failed.status).toBe(200);
    m = await waitMessage(h, id, (got) => expect(got.attempts[2]?.status).toBe('queued'));
    expect(m.attempts[1]).toMatchObject({ status: 'failed', errorCode: '4720' });
    expect(m.attempts[1].errorReason).toContain('4720');
    expect(m.attempts[1].details).toMatchObject({ errorClass: 'permanent', tag: m.attempts[1].id });
    expect(m.steps[1].state).toBe('failed');

    expect(twilioCreates(h)).toHaveLength(2);
    expect(twilioCreates(h)[1].form).toMatchObject({ To: CUSTOMER, From: TWILIO_FROM, Body: 'Your code is 123456' });
    expect(String(twilioCreates(h)[1].form.To)).not.toContain('whatsapp:');

    // 4. Twilio reports the SMS delivered.
    const smsSid = m.attempts[2].providerMessageId!;
    expect(smsSid).not.toBe(waSid);
    expect((await twilioStatus(h, smsSid, 'sent')).status).toBe(200);
    expect((await twilioStatus(h, smsSid, 'delivered')).status).toBe(200);
    m = await waitMessage(h, id, (got) => expect(got.status).toBe('delivered'));

    expect(m.completedAt).toBeDefined();
    expect(m.steps.map((s) => s.state)).toEqual(['failed', 'failed', 'succeeded']);
    expect(m.attempts.map((a) => [a.channel, a.provider, a.status])).toEqual([
      ['whatsapp', 'twilio-us', 'undelivered'],
      ['sms', 'bandwidth', 'failed'],
      ['sms', 'twilio-us', 'delivered'],
    ]);
    // Error codes of the failed attempts are kept after the message moved on.
    expect(m.attempts[0].errorCode).toBe('63016');
    expect(m.attempts[1].errorCode).toBe('4720');
    expect(m.attempts[2].errorCode).toBeUndefined();
    const fallbacks = m.history.filter((e) => e.event === 'fallback');
    expect(fallbacks).toHaveLength(2);
    expect(fallbacks[0]).toMatchObject({ step: 1 });
    expect(fallbacks[0].cause).toMatch(/^fallback: whatsapp undelivered \(63016/);
    expect(fallbacks[0].cause).toContain('twilio-us');
    expect(fallbacks[1]).toMatchObject({ step: 2 });
    expect(fallbacks[1].cause).toMatch(/^fallback: sms failed \(4720/);
    expect(fallbacks[1].cause).toContain('bandwidth');
    expect(m.history.at(-1)).toMatchObject({ event: 'completed', status: 'delivered' });

    const text = await metricsText(h);
    expect(metric(text, 'switchboard_fallbacks_total', { route: 'wa-sms-sms', from_channel: 'whatsapp', to_channel: 'sms', reason: 'failed' })).toBe(1);
    expect(metric(text, 'switchboard_fallbacks_total', { route: 'wa-sms-sms', from_channel: 'sms', to_channel: 'sms', reason: 'failed' })).toBe(1);
    expect(metric(text, 'switchboard_fallbacks_total', { reason: 'timeout' })).toBe(0);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'twilio-us', kind: 'status', result: 'applied' })).toBe(4);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'bandwidth', kind: 'callbacks', result: 'applied' })).toBe(1);
    expect(metric(text, 'switchboard_webhooks_total', { result: 'rejected_signature' })).toBe(0);
    expect(metric(text, 'switchboard_messages_total', { route: 'wa-sms-sms', outcome: 'delivered' })).toBe(1);
    expect(metric(text, 'switchboard_attempts_total', { channel: 'sms', provider: 'bandwidth', status: 'failed' })).toBe(1);
    expect(metric(text, 'switchboard_attempts_total', { channel: 'whatsapp', provider: 'twilio-us', status: 'undelivered' })).toBe(1);
    expect(metric(text, 'switchboard_attempts_total', { channel: 'sms', provider: 'twilio-us', status: 'delivered' })).toBe(1);
  });

  it('a Bandwidth delivery receipt on the seed path /webhooks/bandwidth/status ends the message', async () => {
    const id = await send(h, 'bw-sms');
    await waitMessage(h, id, (got) => expect(got.attempts[0]?.status).toBe('queued'));
    const out: FakeMessage = h.bw.sent[0];
    const sending = await bandwidthCallback(h, [statusEvent('message-sending', out)], { kind: 'status' });
    expect(sending.status).toBe(200);
    const delivered = await bandwidthCallback(h, [deliveredEvent(out)], { kind: 'status' });
    expect(delivered.status).toBe(200);
    const m = await waitMessage(h, id, (got) => expect(got.status).toBe('delivered'));
    expect(m.attempts[0].receipts.map((r) => r.status)).toEqual(['sent', 'delivered']);
    expect(m.attempts[0].details).toMatchObject({ bandwidthType: 'message-delivered', tag: m.attempts[0].id });
    const text = await metricsText(h);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'bandwidth', kind: 'status', result: 'applied' })).toBe(2);
  });

  it('a receipt for a message id the gateway does not know is parked (stored), acknowledged, and changes nothing', async () => {
    const id = await send(h, 'twilio-sms');
    const before = await waitMessage(h, id, (got) => expect(got.attempts[0]?.status).toBe('queued'));
    const res = await twilioStatus(h, `SM${'0'.repeat(32)}`, 'delivered');
    expect(res.status).toBe(200);
    const after = await getMessage(h, id);
    expect(after.status).toBe('routing');
    expect(after.attempts).toEqual(before.attempts);
    await eventually(async () => {
      expect(metric(await metricsText(h), 'switchboard_webhooks_total', { provider: 'twilio-us', kind: 'status', result: 'parked' })).toBe(1);
    });
    expect([...h.gw.app.store.parked.values()].map((p) => p.event.status)).toEqual(['delivered']);
  });
});
