import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSesProvider, type SesOptions } from '../../../plugins/ses/index.js';
import { AWS_SIGNING_CERT_URL_PATTERN, type WebhookHandler, type WebhookResult } from '../../../src/plugin-api.js';
import { startSnsFake, type SnsEnvelope, type SnsFake } from '../../fakes/aws/sns-fake.js';
import { pluginDeps } from '../../helpers/plugin-deps.js';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ses-events';
const OTHER_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:someone-else';

let sns: SnsFake;
let hook: WebhookHandler;
const operations: string[] = [];

const options = (pattern: string): SesOptions => Object.freeze({
  region: 'eu-west-1', accessKeyId: 'AKIDSESTEST000000', secretAccessKey: 'x', endpoint: 'http://127.0.0.1:9', timeout: '1s', from: 'no-reply@shop.example',
  sns: { topicArns: [TOPIC], signingCertUrlPattern: pattern, maxAge: '1h' },
});

beforeAll(async () => {
  sns = await startSnsFake();
  const deps = pluginDeps('ses', { metrics: { time: (op, fn) => { operations.push(op); return fn(); }, failed: () => undefined } });
  hook = createSesProvider(options(sns.certUrlPattern), deps).webhooks!.sns;
});
afterAll(() => sns.close());

const deliver = (envelope: SnsEnvelope | string, headers?: Record<string, string>): Promise<WebhookResult> => {
  const body = typeof envelope === 'string' ? envelope : sns.body(envelope);
  return Promise.resolve(hook({
    method: 'POST', url: 'https://gw.example.test/webhooks/ses/sns', query: {}, rawBody: body, body,
    headers: headers ?? (typeof envelope === 'string' ? { 'content-type': 'text/plain; charset=UTF-8' } : sns.headers(envelope)),
  }));
};

const delivery = (messageId = '0100abc-000000') => ({ eventType: 'Delivery', mail: { messageId, timestamp: '2026-11-29T01:00:00.000Z' }, delivery: { timestamp: '2026-11-29T01:00:02.000Z', smtpResponse: '250 2.0.0 OK', processingTimeMillis: 2000 } });

describe('SNS webhook: signatures, certificates, topics and replays', () => {
  it.each(['1', '2'] as const)('accepts a notification signed with SignatureVersion %s and maps it', async (signatureVersion) => {
    const result = await deliver(sns.notification(TOPIC, delivery(), { signatureVersion }));
    expect(result).toEqual({ ok: true, events: [{ type: 'status', providerMessageId: '0100abc-000000', status: 'delivered', at: '2026-11-29T01:00:02.000Z', details: { sesEvent: 'Delivery', smtpResponse: '250 2.0.0 OK', processingTimeMillis: 2000 } }] });
  });

  it('downloads the signing certificate once and verifies later notifications from the cache', async () => {
    const before = sns.certDownloads();
    for (let i = 0; i < 3; i += 1) expect((await deliver(sns.notification(TOPIC, delivery(`m-${i}`)))).ok).toBe(true);
    expect(sns.certDownloads() - before).toBe(0);
    expect(sns.certDownloads()).toBe(1);
    expect(operations.filter((o) => o === 'sns_certificate')).toHaveLength(1);
  });

  it('refuses a tampered message, a swapped signature and a subject added after signing (403)', async () => {
    const good = sns.notification(TOPIC, delivery());
    const other = sns.notification(TOPIC, delivery('0100zzz-000000'));
    for (const forged of [
      { ...good, Message: JSON.stringify(delivery('0100evil-000000')) },
      { ...good, Signature: other.Signature },
      { ...good, Subject: 'added' },
      { ...good, SignatureVersion: '2' },
    ]) {
      expect(await deliver(forged)).toEqual({ ok: false, status: 403, reason: 'the SNS signature does not verify' });
    }
  });

  it('refuses a certificate URL outside the pattern, and by default everything that is not AWS over HTTPS', async () => {
    const good = sns.notification(TOPIC, delivery());
    expect(await deliver({ ...good, SigningCertURL: `${sns.url}/../evil/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem` })).toMatchObject({ ok: false, status: 403, reason: expect.stringContaining('SigningCertURL') });
    const strict = createSesProvider(options(AWS_SIGNING_CERT_URL_PATTERN), pluginDeps('ses')).webhooks!.sns;
    const result = await strict({ method: 'POST', url: 'x', query: {}, headers: sns.headers(good), rawBody: sns.body(good), body: undefined });
    expect(result).toMatchObject({ ok: false, status: 403, reason: expect.stringContaining('signingCertUrlPattern') });
  });

  it('refuses a topic the instance does not list, even when well signed (403)', async () => {
    expect(await deliver(sns.notification(OTHER_TOPIC, delivery()))).toMatchObject({ ok: false, status: 403, reason: expect.stringContaining(OTHER_TOPIC) });
  });

  it('refuses a replay older than maxAge and a timestamp from the future (403)', async () => {
    const old = sns.notification(TOPIC, delivery(), { timestamp: new Date(Date.now() - 2 * 3_600_000) });
    expect(await deliver(old)).toMatchObject({ ok: false, status: 403, reason: expect.stringContaining('replay') });
    const future = sns.notification(TOPIC, delivery(), { timestamp: new Date(Date.now() + 3_600_000) });
    expect(await deliver(future)).toMatchObject({ ok: false, status: 403 });
  });

  it('answers 400 for bodies that are not SNS messages', async () => {
    const good = sns.notification(TOPIC, delivery());
    const { Signature: _s, ...unsigned } = good;
    for (const [body, reason] of [
      ['not json', /not JSON/],
      ['[1,2]', /not an SNS message object/],
      [JSON.stringify(unsigned), /needs Signature/],
      [JSON.stringify({ ...good, Type: 'Other' }), /unknown SNS message type/],
      [JSON.stringify({ ...good, Timestamp: 'yesterday' }), /Timestamp is not a date/],
    ] as const) {
      expect(await deliver(body)).toMatchObject({ ok: false, status: 400, reason: expect.stringMatching(reason) });
    }
    expect(await deliver(good, { ...sns.headers(good), 'x-amz-sns-message-type': 'SubscriptionConfirmation' })).toMatchObject({ ok: false, status: 400 });
    expect(await deliver(JSON.stringify(delivery()), { 'x-amz-sns-rawdelivery': 'true' })).toMatchObject({ ok: false, status: 400, reason: expect.stringContaining('RawMessageDelivery off') });
  });

  it('answers 400 for a verified notification whose message is not an SES event', async () => {
    expect(await deliver(sns.notification(TOPIC, 'hello'))).toMatchObject({ ok: false, status: 400, reason: expect.stringContaining('not JSON') });
    expect(await deliver(sns.notification(TOPIC, { eventType: 'Delivery', mail: {} }))).toMatchObject({ ok: false, status: 400, reason: expect.stringContaining('mail.messageId') });
    expect(await deliver(sns.notification(TOPIC, { mail: { messageId: 'x' } }))).toMatchObject({ ok: false, status: 400, reason: expect.stringContaining('eventType') });
  });

  it('confirms the subscription of a listed topic by calling its SubscribeURL, and only once verified', async () => {
    const confirmation = sns.subscriptionConfirmation(TOPIC, { signatureVersion: '2' });
    expect(await deliver(confirmation)).toEqual({ ok: true, events: [] });
    expect(sns.confirmations).toEqual([confirmation.Token]);
    expect(await deliver({ ...confirmation, SubscribeURL: `${sns.url}/confirm?Token=forged` })).toMatchObject({ ok: false, status: 403 });
    expect(await deliver(sns.subscriptionConfirmation(OTHER_TOPIC))).toMatchObject({ ok: false, status: 403 });
    expect(sns.confirmations).toEqual([confirmation.Token]);
    expect(operations).toContain('sns_confirm_subscription');
  });

  it('ignores an UnsubscribeConfirmation (no events, nothing called)', async () => {
    const before = sns.confirmations.length;
    expect(await deliver(sns.unsubscribeConfirmation(TOPIC))).toEqual({ ok: true, events: [] });
    expect(sns.confirmations).toHaveLength(before);
  });
});
