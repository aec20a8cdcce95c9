/**
 * The WhatsApp Cloud events webhook through the gateway's HTTP layer: Meta's GET handshake (the
 * challenge back, 403 for a wrong token), unsigned (401) and forged (403) POSTs refused with
 * nothing stored, and a delivery for another phone number id acknowledged, ignored and counted.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metric } from '../helpers/metrics.js';
import { API_KEY, USER, VERIFY_TOKEN, postSigned, startSelfHosted, type SelfHosted } from './setup.js';

let sh: SelfHosted;
beforeAll(async () => {
  sh = await startSelfHosted();
});
afterAll(async () => {
  await sh.close();
});

const metrics = async () => (await sh.gw.request.get('/metrics')).text;
const webhooks = async (result: string) => metric(await metrics(), 'switchboard_webhooks_total', { provider: 'whatsapp', kind: 'events', result });
const inboundCount = async () => ((await sh.gw.request.get('/v1/inbound').set('x-api-key', API_KEY)).body.items ?? []).length as number;

describe('WhatsApp Cloud webhooks through the gateway', () => {
  it('answers Meta\'s GET handshake with the challenge, and a wrong verify token with 403', async () => {
    const ok = await sh.gw.request.get('/webhooks/whatsapp/events').query({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '987654321' });
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('987654321');
    expect(ok.headers['content-type']).toMatch(/^text\/plain/);
    const wrong = await sh.gw.request.get('/webhooks/whatsapp/events').query({ 'hub.mode': 'subscribe', 'hub.verify_token': 'nope', 'hub.challenge': '1' });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toMatchObject({ code: 'signature_invalid' });
    expect(wrong.text).not.toContain(VERIFY_TOKEN);
    expect(await webhooks('handshake')).toBe(1);
    expect(await webhooks('rejected_credentials')).toBe(1);
    // Other providers' kinds answer no GET.
    expect((await sh.gw.request.get('/webhooks/sms/status')).status).toBe(404);
  });

  it('refuses unsigned (401) and forged (403) deliveries and stores nothing from them', async () => {
    const before = await inboundCount();
    const body = sh.meta.messagesBody([{ from: USER.slice(1), part: { body: 'forged' } }]);
    const unsigned = await sh.gw.request.post('/webhooks/whatsapp/events').set('content-type', 'application/json').send(body);
    expect(unsigned.status).toBe(401);
    expect((await postSigned(sh, body, 'not-the-app-secret')).status).toBe(403);
    // A body that is not JSON at all is refused before any signature is checked.
    expect((await sh.gw.request.post('/webhooks/whatsapp/events').set('content-type', 'application/json').set('x-hub-signature-256', 'sha256=zz').send('{"object":')).status).toBe(400);
    expect(await inboundCount()).toBe(before);
  });

  it('acknowledges a delivery for another phone number id with 200, stores nothing, and counts it as ignored', async () => {
    const before = await inboundCount();
    const ignoredBefore = await webhooks('ignored');
    const res = await postSigned(sh, sh.meta.messagesBody([{ from: USER.slice(1), part: { body: 'for someone else' } }], '777777777777'));
    expect(res.status).toBe(200);
    expect(await inboundCount()).toBe(before);
    expect(await webhooks('ignored')).toBe(ignoredBefore + 1);
  });

  it('stores a signed inbound message, posted by the fake over a real socket, with the user as +E.164 and the business sender as to', async () => {
    const server = sh.gw.app.http.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/whatsapp/events`;
      expect(await sh.meta.deliver(url, sh.meta.messagesBody([{ from: USER.slice(1), id: 'wamid.INBOUND1', part: { body: 'hello' } }]))).toBe(200);
    } finally {
      await new Promise((r) => server.close(r));
    }
    const items = (await sh.gw.request.get('/v1/inbound').set('x-api-key', API_KEY)).body.items as Array<Record<string, unknown>>;
    expect(items.find((i) => i.providerMessageId === 'wamid.INBOUND1')).toMatchObject({ channel: 'whatsapp', from: USER, to: sh.meta.phoneNumberId, text: 'hello' });
  });
});
