import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfobipProvider, infobipPlugin, type InfobipOptions } from '../../plugins/infobip/index.js';
import { ProviderError, type OutboundMessage } from '../../src/plugin-api.js';
import { startInfobipFake, type InfobipFake } from '../fakes/infobip-fake.js';
import { pluginDeps } from '../helpers/plugin-deps.js';
import { configureOptions, optionErrors } from '../helpers/plugin-options.js';

const SECRET = 'infobip-webhook-secret-0123';
const WA = '+41790000001';
const TO = '+41793026727';

let fake: InfobipFake;
let options: InfobipOptions;
beforeAll(async () => {
  fake = await startInfobipFake();
  options = configureOptions(infobipPlugin, { baseUrl: fake.url, apiKey: fake.apiKey, from: 'ACME', whatsappFrom: WA, channels: ['sms', 'whatsapp'], webhookSecret: SECRET, timeout: '2s' });
});
afterAll(() => fake.close());

let seq = 0;
const message = (overrides: Partial<OutboundMessage> = {}): OutboundMessage => {
  seq += 1;
  return { attemptId: `att-${seq}`, messageId: `msg-${seq}`, channel: 'sms', to: TO, content: { text: 'Hello' }, ...overrides };
};
const provider = (extra: Partial<InfobipOptions> = {}) => createInfobipProvider({ ...options, ...extra }, pluginDeps('ib'));
const send = (msg: OutboundMessage, extra: Partial<InfobipOptions> = {}) => provider(extra).send(msg, { signal: new AbortController().signal });
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected the send to fail'); }, (e: unknown) => e as ProviderError);

describe('infobip plugin: sending', () => {
  it('sends SMS through /sms/3/messages with App auth, the attempt id as messageId and callbackData, and a notifyUrl carrying the secret', async () => {
    const msg = message({ content: { text: 'Your code is 1234' } });
    const receipt = await send(msg, { validity: '2h' });
    expect(receipt).toMatchObject({ providerMessageId: msg.attemptId, status: 'queued', details: { infobipStatus: 'PENDING_ACCEPTED', segments: 1, encoding: 'GSM-7' } });
    const sent = fake.sent.at(-1)!;
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`App ${fake.apiKey}`);
    expect(sent).toMatchObject({ channel: 'sms', to: '41793026727', from: 'ACME', messageId: msg.attemptId, callbackData: msg.attemptId });
    expect(sent.notifyUrl).toBe(`https://gw.example.test/webhooks/ib/reports?secret=${SECRET}`);
    expect(sent.message).toMatchObject({ content: { text: 'Your code is 1234' }, options: { validityPeriod: { amount: 120, timeUnit: 'MINUTES' } } });
  });

  it('sends WhatsApp text, media by kind with caption, and templates with placeholders in order', async () => {
    await send(message({ channel: 'whatsapp', content: { text: 'hi there' } }));
    expect(fake.sent.at(-1)).toMatchObject({ channel: 'whatsapp', kind: 'text', from: '41790000001', to: '41793026727', message: { content: { text: 'hi there' } } });

    await send(message({ channel: 'whatsapp', content: { text: 'your receipt', media: ['https://cdn.example.com/r/receipt.pdf'] } }));
    expect(fake.sent.at(-1)).toMatchObject({ kind: 'document', message: { content: { mediaUrl: 'https://cdn.example.com/r/receipt.pdf', caption: 'your receipt', filename: 'receipt.pdf' } } });

    await send(message({ channel: 'whatsapp', content: { media: ['https://cdn.example.com/p.jpg'] } }));
    expect(fake.sent.at(-1)).toMatchObject({ kind: 'image', message: { content: { mediaUrl: 'https://cdn.example.com/p.jpg' } } });

    const msg = message({ channel: 'whatsapp', content: { template: { name: 'order_update', language: 'en_GB', variables: { name: 'Ann', order: 'A123' } } } });
    const receipt = await send(msg);
    expect(receipt.providerMessageId).toBe(msg.attemptId);
    expect(fake.sent.at(-1)).toMatchObject({ kind: 'template', message: { content: { templateName: 'order_update', language: 'en_GB', templateData: { body: { placeholders: ['Ann', 'A123'] } } }, callbackData: msg.attemptId } });
  });

  it('classifies HTTP errors: 503 and 429 retryable (Retry-After honoured), 401 auth, 400 permanent with Infobip\'s code', async () => {
    fake.failNext(503);
    const down = await failure(send(message()));
    expect(down).toMatchObject({ reason: 'server', retryable: true, status: 503, providerCode: 'GENERAL_ERROR' });

    fake.failNext({ status: 429, headers: { 'retry-after': '7' } });
    expect(await failure(send(message()))).toMatchObject({ reason: 'rate_limited', retryable: true, retryAfterMs: 7000 });

    const auth = await failure(send(message(), { apiKey: 'wrong-key' }));
    expect(auth).toMatchObject({ reason: 'auth', retryable: false, providerCode: 'UNAUTHORIZED' });
    expect(auth.message).not.toContain('wrong-key');

    const bad = await failure(send(message({ to: 'not-a-number' })));
    expect(bad).toMatchObject({ reason: 'client', retryable: false, status: 400, providerCode: 'BAD_REQUEST' });
  });

  it('refuses a channel it does not send on and content it cannot carry, before any request', async () => {
    const before = fake.requests.length;
    expect(await failure(send(message({ channel: 'email' })))).toMatchObject({ reason: 'client', providerCode: 'channel-not-enabled' });
    expect(await failure(send(message({ content: { template: { name: 't' } } })))).toMatchObject({ reason: 'client' });
    expect(fake.requests.length).toBe(before);
  });

  it('asks for no reports without a webhook secret, and a channel without its sender is not offered', async () => {
    await send(message(), { webhookSecret: undefined });
    expect(fake.sent.at(-1)?.notifyUrl).toBeUndefined();
    expect(infobipPlugin.channels({ ...options, whatsappFrom: undefined })).toEqual(['sms']);
    expect(optionErrors(infobipPlugin, { baseUrl: 'https://x.api.infobip.com', apiKey: 'k', webhookSecret: 'short' })).toEqual([expect.stringContaining('/webhookSecret')]);
  });
});
