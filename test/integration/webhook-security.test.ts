import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliveredEvent, failedEvent } from '../fakes/bandwidth-fake.js';
import { statusParams } from '../fakes/twilio-fake.js';
import {
  ACCOUNT_SID, AUTH_TOKEN, CB_PASSWORD, CB_USER, PUBLIC_URL,
  basic, bandwidthCallback, getMessage, metric, metricsText, send, startHarness, twilioStatus, waitMessage,
  type Harness,
} from './harness.js';

describe('provider webhooks: authentication', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('forged, unsigned or re-targeted Twilio callbacks get 403, are counted, and change nothing', async () => {
    const id = await send(h, 'twilio-sms');
    const before = await waitMessage(h, id, (got) => expect(got.attempts[0]?.status).toBe('queued'));
    const sid = before.attempts[0].providerMessageId!;

    const forged = [
      await twilioStatus(h, sid, 'delivered', { authToken: 'not-the-auth-token' }),
      await twilioStatus(h, sid, 'delivered', { signature: null }),
      await twilioStatus(h, sid, 'delivered', { signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' }),
      // Signed with the right token, but for another URL than the one the gateway is reached at.
      await twilioStatus(h, sid, 'delivered', { signedUrl: 'http://127.0.0.1/webhooks/twilio-us/status' }),
      await twilioStatus(h, sid, 'delivered', { signedUrl: `${PUBLIC_URL}/webhooks/twilio-us/inbound` }),
    ];
    for (const res of forged) {
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: 'signature_invalid' });
    }

    // A valid signature over one body does not cover another (status changed in transit).
    const sp = statusParams({ messageSid: sid, status: 'undelivered', accountSid: ACCOUNT_SID, errorCode: '30003' });
    const tampered = await twilioStatus(h, sid, 'delivered', {
      params: sp,
      // signature of the "delivered" body, sent with the "undelivered" body
      signature: twilio.getExpectedTwilioSignature(
        AUTH_TOKEN, `${PUBLIC_URL}/webhooks/twilio-us/status`, { ...sp, MessageStatus: 'delivered', SmsStatus: 'delivered' },
      ),
    });
    expect(tampered.status).toBe(403);

    const text = await metricsText(h);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'twilio-us', kind: 'status', result: 'rejected_signature' })).toBe(6);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'twilio-us', result: 'applied' })).toBe(0);

    const after = await getMessage(h, id);
    expect(after.status).toBe('routing');
    expect(after.attempts).toEqual(before.attempts);
    expect(after.attempts[0].receipts).toEqual([]);
    expect(after.history).toEqual(before.history);

    // The genuine callback is still accepted afterwards.
    expect((await twilioStatus(h, sid, 'delivered')).status).toBe(200);
    await waitMessage(h, id, (got) => expect(got.status).toBe('delivered'));
  });

  it('Bandwidth callbacks with missing or wrong Basic credentials get 401, are counted, and change nothing', async () => {
    const id = await send(h, 'bw-sms');
    const before = await waitMessage(h, id, (got) => expect(got.attempts[0]?.status).toBe('queued'));
    const events = [failedEvent(h.bw.sent[0], 4720)];

    const refused = [
      await bandwidthCallback(h, events, { auth: null }),
      await bandwidthCallback(h, events, { auth: basic(CB_USER, 'wrong-password') }),
      await bandwidthCallback(h, events, { auth: basic('someone-else', CB_PASSWORD) }),
      await bandwidthCallback(h, events, { auth: `Bearer ${CB_PASSWORD}` }),
      await bandwidthCallback(h, events, { auth: basic(CB_USER, CB_PASSWORD), kind: 'status', instance: 'twilio-us' }),
    ];
    for (const res of refused.slice(0, 4)) {
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('unauthorized');
    }
    // Bandwidth's body and credentials sent to the Twilio instance: not a Twilio-signed callback.
    expect(refused[4].status).toBeGreaterThanOrEqual(400);
    expect(refused[4].status).toBeLessThan(500);

    const text = await metricsText(h);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'bandwidth', kind: 'callbacks', result: 'rejected_credentials' })).toBe(4);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'bandwidth', kind: 'callbacks', result: 'rejected_signature' })).toBe(0);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'bandwidth', result: 'applied' })).toBe(0);

    const after = await getMessage(h, id);
    expect(after.status).toBe('routing');
    expect(after.attempts).toEqual(before.attempts);
    expect(after.history).toEqual(before.history);

    expect((await bandwidthCallback(h, [deliveredEvent(h.bw.sent[0])])).status).toBe(200);
    await waitMessage(h, id, (got) => expect(got.status).toBe('delivered'));
  });
});

describe('provider webhooks: signed URL with a query string', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('Twilio signs the full public URL, query included; the gateway checks exactly that URL', async () => {
    const id = await send(h, 'twilio-sms');
    const m = await waitMessage(h, id, (got) => expect(got.attempts[0]?.status).toBe('queued'));
    const sid = m.attempts[0].providerMessageId!;
    const query = '?tenant=a%20b&x=1';
    const params = statusParams({ messageSid: sid, status: 'delivered', accountSid: ACCOUNT_SID });
    const sign = (url: string) => twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params);
    const post = (path: string, signature: string) => h.gw.request.post(path)
      .set({ 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature })
      .send(new URLSearchParams(params as Record<string, string>).toString());

    // Signed without the query, posted with it: refused.
    expect((await post(`/webhooks/twilio-us/status${query}`, sign(`${PUBLIC_URL}/webhooks/twilio-us/status`))).status).toBe(403);
    expect((await getMessage(h, id)).attempts[0].receipts).toEqual([]);
    const ok = await post(`/webhooks/twilio-us/status${query}`, sign(`${PUBLIC_URL}/webhooks/twilio-us/status${query}`));
    expect(ok.status).toBe(200);
    await waitMessage(h, id, (got) => expect(got.status).toBe('delivered'));
  });
});

describe('provider webhooks: malformed input', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('answers 4xx to bad bodies, unknown kinds and unknown instances, and keeps working', async () => {
    const id = await send(h, 'bw-sms');
    await waitMessage(h, id, (got) => expect(got.attempts[0]?.status).toBe('queued'));
    const out = h.bw.sent[0];

    const bad = {
      notJson: await bandwidthCallback(h, '[{"type": "message-delivered", '),
      number: await bandwidthCallback(h, '42'),
      notEvents: await bandwidthCallback(h, [1, 2, 3]),
      noMessage: await bandwidthCallback(h, [{ type: 'message-delivered', time: new Date().toISOString() }]),
      failedWithoutCode: await bandwidthCallback(h, [{ ...failedEvent(out, 4720), errorCode: 'soon' }]),
    };
    for (const [name, res] of Object.entries(bad)) {
      expect([name, res.status >= 400 && res.status < 500]).toEqual([name, true]);
      expect(res.body.code).toEqual(expect.any(String));
    }

    // A Twilio status body without MessageSid, correctly signed over exactly that body.
    const noSid = await twilioStatus(h, 'unused', 'delivered', { params: { MessageStatus: 'delivered', AccountSid: ACCOUNT_SID } });
    expect(noSid.status).toBe(400);
    expect(noSid.body.code).toBe('bad_request');

    const unknownKind = await h.gw.request.post('/webhooks/twilio-us/events').type('form').send('MessageSid=SM1&MessageStatus=delivered');
    expect(unknownKind.status).toBe(404);
    expect(unknownKind.body.code).toBe('not_found');
    const unknownInstance = await bandwidthCallback(h, [deliveredEvent(out)], { instance: 'nope' });
    expect(unknownInstance.status).toBe(404);
    expect(unknownInstance.body.code).toBe('not_found');

    const text = await metricsText(h);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'twilio-us', kind: 'status', result: 'invalid' })).toBe(1);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'bandwidth', result: 'applied' })).toBe(0);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'nope' })).toBe(0);

    // Nothing above touched the message; the gateway still serves, and the real receipt applies.
    expect((await getMessage(h, id)).attempts[0].receipts).toEqual([]);
    expect((await h.gw.request.get('/-/healthy')).status).toBe(200);
    expect((await bandwidthCallback(h, [deliveredEvent(out)])).status).toBe(200);
    await waitMessage(h, id, (got) => expect(got.status).toBe('delivered'));
    const next = await send(h, 'twilio-sms');
    await waitMessage(h, next, (got) => expect(got.attempts[0]?.status).toBe('queued'));
  });
});
