/**
 * The WhatsApp Cloud plugin's send path, run with the plugin kit's real HTTP client against the
 * Graph API wire fake: what goes on the wire for each content kind, and how Graph errors classify.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWhatsAppCloudProvider, type WhatsAppCloudOptions } from '../../plugins/whatsapp-cloud/index.js';
import type { OutboundMessage, Provider } from '../../src/plugin-api.js';
import { startWhatsAppCloudFake, type WhatsAppCloudFake } from '../fakes/whatsapp-cloud-fake.js';
import { pluginDeps, rejection } from '../helpers/plugin-deps.js';

let fake: WhatsAppCloudFake;
beforeEach(async () => {
  fake = await startWhatsAppCloudFake();
});
afterEach(async () => {
  await fake.close();
});

function provider(overrides: Partial<WhatsAppCloudOptions> = {}): Provider {
  return createWhatsAppCloudProvider(Object.freeze({
    phoneNumberId: fake.phoneNumberId, accessToken: fake.accessToken, appSecret: fake.appSecret, verifyToken: 'vt',
    baseUrl: fake.url, apiVersion: 'v21.0', previewUrl: false, timeout: '2s', ...overrides,
  }), pluginDeps('wa'));
}

const message = (content: OutboundMessage['content'], overrides: Partial<OutboundMessage> = {}): OutboundMessage =>
  ({ attemptId: 'att-1', messageId: 'msg-1', channel: 'whatsapp', to: '+15551234567', content, ...overrides });
const send = (p: Provider, m: OutboundMessage) => p.send(m, { signal: new AbortController().signal });

describe('whatsapp-cloud send (Graph API wire fake)', () => {
  it('sends a message that must leave from this instance\'s own number or id', async () => {
    const p = provider({ from: '+15550783881' });
    await send(p, message({ text: 'a' }, { from: '+15550783881' }));
    await send(p, message({ text: 'b' }, { from: fake.phoneNumberId }));
    expect(fake.sent.map((r) => r.path)).toEqual([`/v21.0/${fake.phoneNumberId}/messages`, `/v21.0/${fake.phoneNumberId}/messages`]);
  });

  it('posts a text message with the bearer token to /<version>/<phone-number-id>/messages and returns the wamid', async () => {
    const receipt = await send(provider(), message({ text: 'Hello there' }));
    expect(fake.sent).toHaveLength(1);
    const [req] = fake.sent;
    expect(req.path).toBe(`/v21.0/${fake.phoneNumberId}/messages`);
    expect(req.headers.authorization).toBe(`Bearer ${fake.accessToken}`);
    expect(req.body).toEqual({ messaging_product: 'whatsapp', recipient_type: 'individual', to: '15551234567', type: 'text', text: { preview_url: false, body: 'Hello there' } });
    expect(receipt).toEqual({ providerMessageId: req.wamid, status: 'queued', details: { whatsappType: 'text', messageStatus: 'accepted' } });
    expect(receipt.providerMessageId).toMatch(/^wamid\./);
  });

  it('sends a template with its language and the variables as body parameters, positional or named', async () => {
    const p = provider();
    await send(p, message({ template: { name: 'order_update', language: 'pt-BR', variables: ['Ann', '42'] } }));
    await send(p, message({ template: { name: 'welcome', language: 'en', variables: { first_name: 'Ann' } } }));
    await send(p, message({ template: { name: 'plain', language: 'en_US' }, text: 'ignored next to a template' }));
    expect(fake.sent.map((r) => r.body.template)).toEqual([
      { name: 'order_update', language: { code: 'pt_BR', policy: 'deterministic' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ann' }, { type: 'text', text: '42' }] }] },
      { name: 'welcome', language: { code: 'en', policy: 'deterministic' }, components: [{ type: 'body', parameters: [{ type: 'text', parameter_name: 'first_name', text: 'Ann' }] }] },
      { name: 'plain', language: { code: 'en_US', policy: 'deterministic' } },
    ]);
    expect(fake.sent.every((r) => r.body.type === 'template' && r.body.text === undefined)).toBe(true);
  });

  it('sends one media link by its type with the text as caption, and a reply carries context.message_id', async () => {
    const p = provider();
    await send(p, message({ text: 'Your receipt', media: ['https://cdn.example.com/r/receipt.pdf'] }));
    await send(p, message({ media: ['https://cdn.example.com/a/photo.JPG?x=1'], replyTo: 'wamid.ORIGINAL' }));
    expect(fake.sent[0].body).toMatchObject({ type: 'document', document: { link: 'https://cdn.example.com/r/receipt.pdf', caption: 'Your receipt' } });
    expect(fake.sent[1].body).toMatchObject({ type: 'image', image: { link: 'https://cdn.example.com/a/photo.JPG?x=1' }, context: { message_id: 'wamid.ORIGINAL' } });
    expect((fake.sent[1].body.image as Record<string, unknown>).caption).toBeUndefined();
  });

  it('refuses what Meta would refuse without spending a request: two media, a template without language, nothing to send, another channel', async () => {
    const p = provider();
    const cases: OutboundMessage[] = [
      message({ media: ['https://x.example/a.png', 'https://x.example/b.png'] }),
      message({ template: { name: 'no_language' } }),
      message({}),
      message({ text: 'x'.repeat(4097) }),
      message({ text: 'hi' }, { channel: 'sms' }),
      message({ text: 'from elsewhere' }, { from: '+15559990000' }),
    ];
    for (const m of cases) {
      const err = await rejection(send(p, m));
      expect(err.reason).toBe('client');
      expect(err.retryable).toBe(false);
    }
    expect(fake.sent).toHaveLength(0);
  });

  it('131047 (re-engagement) is permanent with the outside_window signal the consent policy reads', async () => {
    fake.failNext({ code: 131047, message: '(#131047) Re-engagement message' });
    const err = await rejection(send(provider(), message({ text: 'late' })));
    expect(err).toMatchObject({ reason: 'client', retryable: false, status: 400, providerCode: '131047', signal: 'outside_window' });
    expect(err.message).toContain('24-hour customer service window');
  });

  it('rate limits (130429, 131056) are retryable and keep Retry-After; 131026 and 190 are permanent; 5xx is retryable', async () => {
    const p = provider();
    fake.failNext({ code: 130429, headers: { 'retry-after': '7' } });
    fake.failNext({ code: 131056, status: 400 });
    fake.failNext({ code: 131026 });
    fake.failNext({ code: 190, status: 401 });
    fake.failNext({ status: 502, raw: '<html>bad gateway</html>' });
    const errors = [];
    for (let i = 0; i < 5; i += 1) errors.push(await rejection(send(p, message({ text: `m${i}` }))));
    expect(errors.map((e) => [e.providerCode, e.reason, e.retryable])).toEqual([
      ['130429', 'rate_limited', true],
      ['131056', 'rate_limited', true],
      ['131026', 'client', false],
      ['190', 'auth', false],
      [undefined, 'server', true],
    ]);
    expect(errors[0].retryAfterMs).toBe(7000);
    expect(errors[1].signal).toBeUndefined();
    expect(errors[3].message).toMatch(/access token expired/);
    expect(errors[4].message).toContain('bad gateway');
  });

  it('a wrong access token is an auth error whose message never quotes the token', async () => {
    const err = await rejection(send(provider({ accessToken: 'EAAG-secret-wrong-token' }), message({ text: 'x' })));
    expect(err).toMatchObject({ reason: 'auth', providerCode: '190' });
    expect(JSON.stringify({ message: err.message, stack: err.stack })).not.toContain('EAAG-secret-wrong-token');
  });

  it('a 200 without a message id is a retryable server failure, and a dead Graph API is one too', async () => {
    fake.failNext({ status: 200, raw: '{"messaging_product":"whatsapp"}' });
    expect(await rejection(send(provider(), message({ text: 'x' })))).toMatchObject({ reason: 'server', retryable: true });
    const down = provider({ baseUrl: 'http://127.0.0.1:9' });
    expect((await rejection(send(down, message({ text: 'x' })))).retryable).toBe(true);
  });
});
