import { afterEach, describe, expect, it } from 'vitest';
import { API_KEY } from '../../helpers/gateway.js';
import { metric } from '../../helpers/metrics.js';
import { CUSTOMER_EMAIL, CUSTOMER_PHONE, SECRET_KEY, TOPIC, metricsText, sendMessage, startAwsHarness, waitFor, type AwsHarness } from './harness.js';

const ROUTES = `
routes:
  mail-then-sms:
    steps:
      - { channel: email, providers: [ses], until: delivered, within: 1m }
      - { channel: sms, providers: [sms], until: delivered, within: 1m }
`;

let h: AwsHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const body = { route: 'mail-then-sms', to: { email: CUSTOMER_EMAIL, sms: CUSTOMER_PHONE }, content: { subject: 'Your order', text: 'It ships today' } };
const sesEvent = (messageId: string, eventType: string, extra: Record<string, unknown> = {}) => ({ eventType, mail: { messageId, timestamp: new Date().toISOString() }, ...extra });

describe('SES through the gateway, events through SNS', () => {
  it('sends the email, and an SNS Delivery event marks it delivered; the same notification again changes nothing', async () => {
    h = await startAwsHarness(ROUTES);
    const id = await sendMessage(h, body);
    let m = await waitFor(h, id, (got) => expect(got.attempts[0]?.status).toBe('queued'));
    expect(h.ses.sent).toHaveLength(1);
    expect(h.ses.sent[0].body).toMatchObject({
      FromEmailAddress: 'Shop <no-reply@shop.example>', Destination: { ToAddresses: [CUSTOMER_EMAIL] }, ConfigurationSetName: 'shop-events',
      EmailTags: [{ Name: 'switchboard-attempt', Value: m.attempts[0].id }, { Name: 'switchboard-message', Value: id }],
      Content: { Simple: { Subject: { Data: 'Your order' }, Body: { Text: { Data: 'It ships today' } } } },
    });
    const sesId = m.attempts[0].providerMessageId!;
    expect(sesId).toBe(h.ses.sent[0].messageId);

    expect((await h.post('ses', h.sns.notification(TOPIC, sesEvent(sesId, 'Send')))).status).toBe(200);
    const delivered = h.sns.notification(TOPIC, sesEvent(sesId, 'Delivery', { delivery: { timestamp: new Date().toISOString(), smtpResponse: '250 OK' } }), { signatureVersion: '2' });
    expect((await h.post('ses', delivered)).status).toBe(200);
    m = await waitFor(h, id, (got) => expect(got.status).toBe('delivered'));
    expect(m.attempts).toHaveLength(1);
    expect(m.attempts[0].receipts.map((r) => r.status)).toEqual(['sent', 'delivered']);

    // SNS delivers at least once: the same MessageId again is answered 200 and recorded once.
    expect((await h.post('ses', delivered)).status).toBe(200);
    m = await waitFor(h, id, (got) => expect(got.status).toBe('delivered'));
    expect(m.attempts[0].receipts).toHaveLength(2);
    expect(metric(await metricsText(h), 'switchboard_webhooks_total', { provider: 'ses', kind: 'sns', result: 'duplicate' })).toBe(1);
  });

  it('a permanent bounce fails the email step, starts SMS at once, and suppresses the address for the next message', async () => {
    h = await startAwsHarness(ROUTES);
    const id = await sendMessage(h, body);
    const first = await waitFor(h, id, (got) => expect(got.attempts[0]?.providerMessageId).toBeDefined());
    const bounce = sesEvent(first.attempts[0].providerMessageId!, 'Bounce', { bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: CUSTOMER_EMAIL, diagnosticCode: 'smtp; 550 5.1.1 user unknown' }] } });
    expect((await h.post('ses', h.sns.notification(TOPIC, bounce))).status).toBe(200);
    const m = await waitFor(h, id, (got) => expect(got.status).toBe('delivered'));
    expect(m.attempts.map((a) => [a.channel, a.status, a.errorCode])).toEqual([['email', 'failed', 'Bounce:Permanent:General'], ['sms', 'delivered', undefined]]);
    expect(m.history.find((e) => e.event === 'fallback')?.cause).toContain('550 5.1.1');

    const list = await h.gw.request.get('/v1/suppressions?channel=email').set('x-api-key', API_KEY).expect(200);
    expect(list.body.items).toEqual([expect.objectContaining({ channel: 'email', sender: 'no-reply@shop.example', address: CUSTOMER_EMAIL, source: 'provider', detail: 'Bounce:Permanent:General from ses' })]);
    const second = await waitFor(h, await sendMessage(h, body), (got) => expect(got.status).toBe('delivered'));
    expect(second.steps[0].state).toBe('skipped');
    expect(h.ses.sent).toHaveLength(1);
  });

  it('a complaint suppresses the address while the email stays delivered', async () => {
    h = await startAwsHarness(ROUTES);
    const id = await sendMessage(h, body);
    const sesId = (await waitFor(h, id, (got) => expect(got.attempts[0]?.providerMessageId).toBeDefined())).attempts[0].providerMessageId!;
    await h.post('ses', h.sns.notification(TOPIC, sesEvent(sesId, 'Delivery', { delivery: {} })));
    await h.post('ses', h.sns.notification(TOPIC, sesEvent(sesId, 'Complaint', { complaint: { complaintFeedbackType: 'abuse' } })));
    const m = await waitFor(h, id, (got) => expect(got.attempts[0].receipts).toHaveLength(2));
    expect(m.status).toBe('delivered');
    const list = await h.gw.request.get('/v1/suppressions?channel=email').set('x-api-key', API_KEY).expect(200);
    expect(list.body.items.map((e: { address: string }) => e.address)).toEqual([CUSTOMER_EMAIL]);
  });

  it('retries a throttled SendEmail and sends once SES takes it', async () => {
    h = await startAwsHarness(ROUTES);
    h.ses.failNext({ status: 429, name: 'TooManyRequestsException', message: 'Maximum sending rate exceeded.' });
    const id = await sendMessage(h, body);
    const m = await waitFor(h, id, (got) => expect(got.attempts[1]?.status).toBe('queued'));
    expect(m.attempts[0]).toMatchObject({ status: 'error', errorCode: 'TooManyRequestsException', retryable: true });
    expect(h.ses.requests).toHaveLength(2);
    expect(m.history.map((e) => e.event)).toContain('retry_scheduled');
    expect(metric(await metricsText(h), 'switchboard_provider_errors_total', { provider: 'ses', reason: 'rate_limited' })).toBe(1);
  });

  it('refuses forged and replayed notifications with 403 and counts them; no secret shows in config, metrics or logs', async () => {
    h = await startAwsHarness(ROUTES);
    const id = await sendMessage(h, body);
    const sesId = (await waitFor(h, id, (got) => expect(got.attempts[0]?.providerMessageId).toBeDefined())).attempts[0].providerMessageId!;
    const good = h.sns.notification(TOPIC, sesEvent(sesId, 'Delivery'));
    const forged = await h.post('ses', { ...good, Message: JSON.stringify(sesEvent(sesId, 'Open')) });
    expect(forged).toEqual({ status: 403, body: expect.objectContaining({ code: 'signature_invalid' }) });
    const replay = await h.post('ses', h.sns.notification(TOPIC, sesEvent(sesId, 'Delivery'), { timestamp: new Date(Date.now() - 3 * 3_600_000) }));
    expect(replay.status).toBe(403);
    expect((await h.gw.request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY)).body.attempts[0].receipts).toEqual([]);
    const text = await metricsText(h);
    expect(metric(text, 'switchboard_webhooks_total', { provider: 'ses', kind: 'sns', result: 'rejected_signature' })).toBe(2);

    const config = await h.gw.request.get('/-/config').set('x-api-key', API_KEY);
    expect(config.status).toBe(200);
    for (const out of [config.text, text, h.gw.logs.join('')]) expect(out).not.toContain(SECRET_KEY);
  });

  it('confirms the SNS subscription of the listed topic only', async () => {
    h = await startAwsHarness(ROUTES);
    const listed = h.sns.subscriptionConfirmation(TOPIC);
    expect((await h.post('ses', listed)).status).toBe(200);
    expect((await h.post('ses', h.sns.subscriptionConfirmation('arn:aws:sns:eu-west-1:123456789012:unlisted'))).status).toBe(403);
    expect(h.sns.confirmations).toEqual([listed.Token]);
    const text = await metricsText(h);
    expect(metric(text, 'switchboard_provider_request_duration_seconds_count', { provider: 'ses', operation: 'sns_confirm_subscription' })).toBe(1);
  });
});
