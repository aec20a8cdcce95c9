/**
 * Issue 12's "done when", as a new user would try it: `examples/self-hosted.yaml` pointed at the
 * fakes sends WhatsApp through the Graph API fake; a signed `statuses` delivery marks it
 * delivered; a 131047 answer falls back to SMS and closes the window for the next message; an
 * email step delivers into the test SMTP server with the attempt id in its headers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/gateway.js';
import { USER, get, postSigned, send, startSelfHosted, type SelfHosted } from './setup.js';

let sh: SelfHosted;
beforeEach(async () => {
  sh = await startSelfHosted();
});
afterEach(async () => {
  await sh.close();
});

/** The user writes first (a signed inbound delivery), which opens the 24-hour window. */
async function userWrites(text = 'hi') {
  const res = await postSigned(sh, sh.meta.messagesBody([{ from: USER.slice(1), type: 'text', part: { body: text } }]));
  expect(res.status).toBe(200);
}

describe('examples/self-hosted.yaml against the fakes', () => {
  it('sends WhatsApp through the Graph API once the user wrote, and a signed delivered status completes the message', { timeout: 15_000 }, async () => {
    await userWrites();
    const id = await send(sh.gw.request);
    const sent = await eventually(() => {
      expect(sh.meta.sent).toHaveLength(1);
      expect(sh.meta.sent[0].wamid).toBeDefined();
      return sh.meta.sent[0];
    });
    expect(sent.body).toMatchObject({ to: USER.slice(1), type: 'text', text: { body: 'Your order shipped.' } });
    expect((await postSigned(sh, sh.meta.statusesBody([{ id: sent.wamid!, status: 'sent' }, { id: sent.wamid!, status: 'delivered' }]))).status).toBe(200);
    const m = await eventually(async () => {
      const got = await get(sh.gw.request, id);
      expect(got.status).toBe('delivered');
      return got;
    });
    expect(m.attempts).toEqual([expect.objectContaining({ channel: 'whatsapp', provider: 'whatsapp', providerMessageId: sent.wamid, status: 'delivered' })]);
    expect(sh.twilio.requests).toHaveLength(0);
    expect(sh.smtp.received).toHaveLength(0);
  });

  it('a 131047 answer falls back to SMS at once, and the next message is held with the opt-in template instead', { timeout: 15_000 }, async () => {
    await userWrites();
    sh.meta.failNext({ code: 131047, message: '(#131047) Re-engagement message' });
    const id = await send(sh.gw.request);
    const m = await eventually(async () => {
      const got = await get(sh.gw.request, id);
      expect(got.attempts.map((a) => a.channel)).toEqual(['whatsapp', 'sms']);
      expect(got.attempts[1].providerMessageId).toBeDefined();
      return got;
    });
    expect(m.attempts[0]).toMatchObject({ status: 'error', errorCode: '131047', retryable: false });
    expect(sh.twilio.requests.filter((r) => r.method === 'POST').map((r) => [r.form.To, r.form.From, r.form.Body])).toEqual([[USER, '+15550009999', 'Your order shipped.']]);

    // Meta said the window is closed: the next free-form message waits for the user's reply.
    const next = await send(sh.gw.request, { text: 'Another update' });
    await eventually(async () => {
      expect((await get(sh.gw.request, next)).status).toBe('held');
      expect(sh.meta.sent).toHaveLength(2);
    });
    expect(sh.meta.sent[1].body).toMatchObject({ type: 'template', template: { name: 'reconnect', language: { code: 'en_US' } } });
  });

  it('131047 reported later in a signed failed status (Meta\'s usual way) falls back to SMS and closes the window too', { timeout: 15_000 }, async () => {
    await userWrites();
    const id = await send(sh.gw.request);
    const sent = await eventually(() => {
      expect(sh.meta.sent[0]?.wamid).toBeDefined();
      return sh.meta.sent[0];
    });
    const failed = sh.meta.statusesBody([{ id: sent.wamid!, status: 'failed', error: { code: 131047, title: 'Re-engagement message' } }]);
    expect((await postSigned(sh, failed)).status).toBe(200);
    const m = await eventually(async () => {
      const got = await get(sh.gw.request, id);
      expect(got.attempts.map((a) => a.channel)).toEqual(['whatsapp', 'sms']);
      return got;
    });
    expect(m.attempts[0]).toMatchObject({ status: 'failed', errorCode: '131047' });
    const next = await send(sh.gw.request, { text: 'Another update' });
    await eventually(async () => expect((await get(sh.gw.request, next)).status).toBe('held'));
  });

  it('when WhatsApp and SMS both fail for good, the email step delivers into the SMTP server with the attempt id in its headers', { timeout: 15_000 }, async () => {
    await userWrites();
    sh.meta.failNext({ code: 131026 });
    sh.twilio.failNext({ status: 400, code: 21211 });
    const id = await send(sh.gw.request);
    const m = await eventually(async () => {
      const got = await get(sh.gw.request, id);
      expect(got.status).toBe('sent');
      return got;
    }, 10_000);
    expect(m.attempts.map((a) => [a.channel, a.status])).toEqual([['whatsapp', 'error'], ['sms', 'error'], ['email', 'sent']]);
    const email = m.attempts[2];
    expect(sh.smtp.received).toHaveLength(1);
    const [mail] = sh.smtp.received;
    expect(mail).toMatchObject({ from: 'alerts@example.com', to: ['ann@example.org'], secure: true });
    expect(mail.headers['message-id']).toBe(`<${email.id}@example.com>`);
    expect(mail.headers['x-switchboard-attempt']).toBe(email.id);
    expect(mail.headers['x-switchboard-message']).toBe(id);
    expect(mail.headers.subject).toBe('Your order');
    expect(email.providerMessageId).toBe(`<${email.id}@example.com>`);
  });
});
