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

describe('infobip plugin: SMS sent together share a request', () => {
  const signal = () => new AbortController().signal;
  const sendAll = (ib: ReturnType<typeof provider>, msgs: OutboundMessage[], on: AbortSignal) => Promise.allSettled(msgs.map((m) => ib.send(m, { signal: on })));
  const received = (start: number) => fake.requests.slice(start).map((r) => ((r.body as { messages?: unknown[] }).messages ?? []).length);

  it('puts the SMS of one turn under one signal into one request, each with its own destination, id and answer', async () => {
    const ib = provider();
    const before = fake.requests.length;
    const msgs = [1, 2, 3, 4, 5].map((i) => message({ to: `+4179302670${i}`, content: { text: `Code ${i}` } }));
    const results = await sendAll(ib, msgs, signal());
    expect(received(before)).toEqual([5]);
    results.forEach((r, i) => expect(r).toMatchObject({ status: 'fulfilled', value: { providerMessageId: msgs[i].attemptId, status: 'queued' } }));
    for (const [i, m] of msgs.entries()) {
      expect(fake.sent.find((s) => s.messageId === m.attemptId)).toMatchObject({ to: `4179302670${i + 1}`, callbackData: m.attemptId, message: { content: { text: `Code ${i + 1}` } } });
    }
    // A WhatsApp message in the same turn goes alone, to its own path.
    const mixed = await sendAll(ib, [message(), message({ channel: 'whatsapp', content: { text: 'hi' } }), message()], signal());
    expect(mixed.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(fake.requests.slice(before + 1).map((r) => r.url.split('?')[0]).sort()).toEqual(['/sms/3/messages', '/whatsapp/1/message/text']);
  });

  it('keeps sends under different signals apart, cuts at `batch`, and with batch 1 sends each alone', async () => {
    const ib = provider({ batch: 2 });
    let before = fake.requests.length;
    const one = signal();
    await Promise.all([sendAll(ib, [message(), message(), message()], one), sendAll(ib, [message(), message()], signal())]);
    expect(received(before).sort()).toEqual([1, 2, 2]);
    before = fake.requests.length;
    await sendAll(provider({ batch: 1 }), [message(), message(), message()], signal());
    expect(received(before)).toEqual([1, 1, 1]);
  });

  it('sends each message again alone when the request is refused as a whole, so one bad number fails only itself', async () => {
    const ib = provider();
    const before = fake.requests.length;
    const msgs = [message(), message({ to: 'not-a-number' }), message()];
    const results = await sendAll(ib, msgs, signal());
    expect(received(before)).toEqual([3, 1, 1, 1]);
    expect(results[0]).toMatchObject({ status: 'fulfilled', value: { providerMessageId: msgs[0].attemptId } });
    expect(results[2]).toMatchObject({ status: 'fulfilled', value: { providerMessageId: msgs[2].attemptId } });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { reason: 'client', status: 400, providerCode: 'BAD_REQUEST' } });
  });

  it('gives everyone the answer of a server or rate error, without asking again per message', async () => {
    const ib = provider();
    const before = fake.requests.length;
    fake.failNext({ status: 429, headers: { 'retry-after': '3' } });
    const results = await sendAll(ib, [message(), message(), message()], signal());
    expect(received(before)).toEqual([3]);
    for (const r of results) expect(r).toMatchObject({ status: 'rejected', reason: { reason: 'rate_limited', retryAfterMs: 3000 } });
  });

  it('finds each message\'s entry by its messageId, whatever the order of the answer, and fails only the one rejected', async () => {
    const ib = provider();
    const msgs = [message(), message(), message()];
    const entry = (m: OutboundMessage, status: object) => ({ messageId: m.attemptId, status, destination: '41793026727' });
    const rejected = { groupId: 5, groupName: 'REJECTED', id: 6, name: 'REJECTED_NETWORK', description: 'Network is forbidden' };
    const pending = { groupId: 1, groupName: 'PENDING', id: 26, name: 'PENDING_ACCEPTED' };
    fake.failNext({ status: 200, body: { bulkId: 'b-1', messages: [entry(msgs[2], pending), entry(msgs[1], rejected), entry(msgs[0], pending)] } });
    const results = await sendAll(ib, msgs, signal());
    expect(results[0]).toMatchObject({ status: 'fulfilled', value: { providerMessageId: msgs[0].attemptId, status: 'queued' } });
    expect(results[2]).toMatchObject({ status: 'fulfilled', value: { providerMessageId: msgs[2].attemptId, status: 'queued' } });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { reason: 'client', providerCode: 'REJECTED_NETWORK' } });
  });

  it('aborts the shared request when its signal aborts, and every send under it fails', async () => {
    const ib = provider();
    const controller = new AbortController();
    fake.failNext({ delayMs: 1_000 });
    const pending = sendAll(ib, [message(), message()], controller.signal);
    setTimeout(() => controller.abort(new Error('caller gave up')), 50);
    const results = await pending;
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
