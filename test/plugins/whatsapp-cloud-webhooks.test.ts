/**
 * The WhatsApp Cloud events webhook, handler by handler: Meta's GET handshake, X-Hub-Signature-256
 * on POSTs (401 missing, 403 wrong), statuses and messages parsed from deliveries the Graph fake
 * builds in Meta's shape, and changes for another phone number id ignored and counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWhatsAppCloudProvider } from '../../plugins/whatsapp-cloud/index.js';
import type { InboundEvent, StatusEvent, WebhookHandler, WebhookRequest, WebhookResult } from '../../src/plugin-api.js';
import { startWhatsAppCloudFake, type WhatsAppCloudFake } from '../fakes/whatsapp-cloud-fake.js';
import { pluginDeps } from '../helpers/plugin-deps.js';

const VERIFY = 'verify-token-0123';
let fake: WhatsAppCloudFake;
let events: WebhookHandler;
let handshake: WebhookHandler;

beforeAll(async () => {
  fake = await startWhatsAppCloudFake();
  const p = createWhatsAppCloudProvider(Object.freeze({
    phoneNumberId: fake.phoneNumberId, accessToken: fake.accessToken, appSecret: fake.appSecret, verifyToken: VERIFY, from: '+15550783881',
    baseUrl: fake.url, apiVersion: 'v21.0', previewUrl: false, timeout: '2s',
  }), pluginDeps('wa'));
  events = p.webhooks!.events;
  handshake = p.handshakes!.events;
});
afterAll(async () => {
  await fake.close();
});

const request = (rawBody: string, headers: Record<string, string> = {}, query: WebhookRequest['query'] = {}): WebhookRequest =>
  ({ method: 'POST', url: 'https://gw.example.test/webhooks/wa/events', headers, query, rawBody, body: undefined });
const post = async (body: string, secret?: string): Promise<WebhookResult> => {
  const signed = fake.signed(body, secret);
  return events(request(signed.body, signed.headers));
};
const ok = (result: WebhookResult) => {
  if (!result.ok) throw new Error(`rejected: ${result.reason}`);
  return result;
};

describe('whatsapp-cloud GET handshake', () => {
  const query = (token: string) => ({ 'hub.mode': 'subscribe', 'hub.verify_token': token, 'hub.challenge': '1158201444' });

  it('answers the challenge as text/plain for the right verify token', async () => {
    expect(await handshake({ ...request(''), method: 'GET', query: query(VERIFY) })).toEqual({ ok: true, events: [], reply: { status: 200, contentType: 'text/plain', body: '1158201444' } });
  });

  it('refuses a wrong token with 403 and a request without the hub parameters with 400', async () => {
    expect(await handshake({ ...request(''), method: 'GET', query: query('guess') })).toMatchObject({ ok: false, status: 403 });
    expect(await handshake({ ...request(''), method: 'GET', query: { 'hub.mode': 'subscribe' } })).toMatchObject({ ok: false, status: 400 });
    expect(await handshake({ ...request(''), method: 'GET', query: { ...query(VERIFY), 'hub.challenge': 'x'.repeat(10_000) } })).toMatchObject({ ok: false, status: 400 });
  });
});

describe('whatsapp-cloud POST signature', () => {
  const body = () => fake.statusesBody([{ id: 'wamid.A', status: 'delivered' }]);

  it('refuses an unsigned delivery with 401 and a forged or tampered one with 403', async () => {
    expect(await events(request(body(), { 'content-type': 'application/json' }))).toMatchObject({ ok: false, status: 401 });
    expect(await post(body(), 'not-the-app-secret')).toMatchObject({ ok: false, status: 403 });
    const signed = fake.signed(body());
    expect(await events(request(signed.body.replace('delivered', 'read'), signed.headers))).toMatchObject({ ok: false, status: 403 });
  });

  it('a signed body that is not JSON or not a WhatsApp account object is a 400, not a throw', async () => {
    expect(await post('{"object":')).toMatchObject({ ok: false, status: 400 });
    expect(await post('{"object":"page","entry":[]}')).toMatchObject({ ok: false, status: 400 });
    expect(await post('[]')).toMatchObject({ ok: false, status: 400 });
  });
});

describe('whatsapp-cloud statuses and messages', () => {
  it('maps sent, delivered, read and failed; 131047 in a failed status carries outside_window; deleted is skipped', async () => {
    const result = ok(await post(fake.statusesBody([
      { id: 'wamid.S', status: 'sent', timestamp: 1_764_000_000 },
      { id: 'wamid.D', status: 'delivered' },
      { id: 'wamid.R', status: 'read' },
      { id: 'wamid.F', status: 'failed', error: { code: 131047, title: 'Re-engagement message', details: 'more than 24 hours' } },
      { id: 'wamid.X', status: 'deleted' },
    ])));
    const statuses = result.events as StatusEvent[];
    expect(statuses.map((e) => [e.providerMessageId, e.status])).toEqual([['wamid.S', 'sent'], ['wamid.D', 'delivered'], ['wamid.R', 'read'], ['wamid.F', 'failed']]);
    expect(statuses[0].at).toBe(new Date(1_764_000_000_000).toISOString());
    expect(statuses[3]).toMatchObject({ errorCode: '131047', signal: 'outside_window', details: { errorDetails: 'more than 24 hours' } });
    expect(statuses[3].errorReason).toContain('24-hour');
    expect(statuses.slice(0, 3).every((e) => e.signal === undefined)).toBe(true);
  });

  it('turns text, media, button and interactive replies into inbound events from +<wa_id> to the business sender', async () => {
    const result = ok(await post(fake.messagesBody([
      { from: '15551234567', id: 'wamid.T', type: 'text', part: { body: 'Hi!' }, context: { id: 'wamid.OURS' }, name: 'Ann' },
      { from: '15551234567', id: 'wamid.I', type: 'image', part: { id: '1479537139650973', mime_type: 'image/jpeg', caption: 'look' } },
      { from: '15551234567', id: 'wamid.B', type: 'button', part: { text: 'Yes', payload: 'CONFIRM' } },
      { from: '15551234567', id: 'wamid.L', type: 'interactive', part: { type: 'list_reply', list_reply: { id: 'slot-2', title: 'Tuesday 10:00', description: 'Downtown' } } },
      { from: 'US.13491208655302741918', id: 'wamid.U', type: 'unsupported', part: {} },
    ])));
    const inbound = result.events as InboundEvent[];
    expect(inbound.map((e) => [e.type, e.channel, e.from, e.to, e.text])).toEqual([
      ['inbound', 'whatsapp', '+15551234567', '+15550783881', 'Hi!'],
      ['inbound', 'whatsapp', '+15551234567', '+15550783881', 'look'],
      ['inbound', 'whatsapp', '+15551234567', '+15550783881', 'Yes'],
      ['inbound', 'whatsapp', '+15551234567', '+15550783881', 'Tuesday 10:00'],
      ['inbound', 'whatsapp', 'US.13491208655302741918', '+15550783881', undefined],
    ]);
    expect(inbound[0].details).toMatchObject({ replyTo: 'wamid.OURS', profileName: 'Ann', phoneNumberId: fake.phoneNumberId });
    expect(inbound[1].details).toMatchObject({ media: [{ type: 'image', id: '1479537139650973', mimeType: 'image/jpeg' }] });
    expect(inbound[2].details).toMatchObject({ button: { payload: 'CONFIRM' } });
    expect(inbound[3].details).toMatchObject({ interactive: { type: 'list_reply', id: 'slot-2', description: 'Downtown' } });
  });

  it('ignores and counts a change for another phone number id, and keeps ours from the same delivery', async () => {
    const ours = JSON.parse(fake.statusesBody([{ id: 'wamid.OK', status: 'delivered' }]));
    const theirs = JSON.parse(fake.statusesBody([{ id: 'wamid.NOT', status: 'delivered' }], '999999999999'));
    ours.entry.push(...theirs.entry);
    const result = ok(await post(JSON.stringify(ours)));
    expect(result.events.map((e) => (e as StatusEvent).providerMessageId)).toEqual(['wamid.OK']);
    expect(result.ignored).toBe(1);
  });
});
