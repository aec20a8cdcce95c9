/**
 * Consent with the real Twilio SDK against the Twilio wire fake: the opt-in template goes out as
 * a Content SID from the WhatsApp sender, a signed inbound WhatsApp message (Twilio marks it by
 * its `whatsapp:` sender) opens the window, and the held messages go out as text, oldest first.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inboundParams, inboundRequest, startTwilioFake, type TwilioFake } from '../fakes/twilio-fake.js';
import { API_KEY, configText, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { get, optIns, own, withBusinessOf } from './setup.js';

const PUBLIC_URL = 'https://gw.example.test';
const ACCOUNT_SID = `AC${'c0ffee00c0ffee00'.repeat(2)}`;
const AUTH_TOKEN = 'twilio-consent-token-0123';
const WA_FROM = '+15550001111';
const USER = '+15554440001';
const OPTIN_EN = `HX${'0'.repeat(31)}1`;
const OPTIN_ES = `HX${'0'.repeat(31)}2`;

let fake: TwilioFake;
let gw: TestGateway;
let server: Server;

beforeEach(async () => {
  let port = 0;
  fake = await startTwilioFake({
    credentials: { username: ACCOUNT_SID, password: AUTH_TOKEN },
    autoStatus: { authToken: AUTH_TOKEN, statuses: ['sent', 'delivered'], delayMs: 20, target: (url) => `http://127.0.0.1:${port}${new URL(url).pathname}` },
  });
  gw = await startGateway(configText(`
providers:
  tw:
    plugin: twilio
    accountSid: "${ACCOUNT_SID}"
    authToken: "${AUTH_TOKEN}"
    whatsappFrom: "${WA_FROM}"
    from: "+15550002222"
    channels: [whatsapp, sms]
    baseUrl: "${fake.url}"
    timeout: 5s
consent:
  optin:
    hold: 2h
    optIn:
      default: { name: "${OPTIN_EN}", language: en }
      es: { name: "${OPTIN_ES}", language: es }
routes:
  notify:
    steps:
      - { channel: whatsapp, providers: [tw], consent: optin, until: delivered, within: 30s }
      - { channel: sms, providers: [tw], until: delivered, within: 30s }
`, '', { server: `{ host: 127.0.0.1, port: 0, publicUrl: "${PUBLIC_URL}" }` }));
  server = gw.app.http.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  await new Promise((r) => server.close(r));
  await gw.close();
  await fake.close();
});

const creates = () => fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Messages.json')).map((r) => r.form);

async function send(text: string): Promise<string> {
  const res = await gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({ route: 'notify', to: { whatsapp: USER, sms: USER }, content: { text }, locale: 'es-MX' });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

describe('consent through Twilio (real SDK, wire fake)', () => {
  it('sends the Spanish opt-in template once, and the signed WhatsApp reply releases both held messages as text, in order', { timeout: 30_000 }, async () => {
    const first = await send('first');
    const second = await send('second');
    await eventually(async () => {
      expect((await get(gw.request, first)).status).toBe('held');
      expect((await get(gw.request, second)).status).toBe('held');
      expect(optIns(await get(gw.request, first))[0]?.status).toBe('delivered');
    });
    expect(creates()).toEqual([expect.objectContaining({ To: `whatsapp:${USER}`, From: `whatsapp:${WA_FROM}`, ContentSid: OPTIN_ES })]);
    expect(creates()[0].Body).toBeUndefined();

    const url = `${PUBLIC_URL}/webhooks/tw/inbound`;
    const signed = inboundRequest({ url, authToken: AUTH_TOKEN, params: inboundParams({ from: `whatsapp:${USER}`, to: `whatsapp:${WA_FROM}`, body: 'sí', accountSid: ACCOUNT_SID }) });
    const ack = await gw.request.post('/webhooks/tw/inbound').set(signed.headers).send(signed.body);
    expect(ack.status).toBe(200);
    expect(ack.text).toContain('<Response/>');

    const done = await eventually(async () => {
      const ms = [await get(gw.request, first), await get(gw.request, second)];
      expect(ms.map((m) => m.status)).toEqual(['delivered', 'delivered']);
      return ms;
    }, 10_000);
    expect(done.map((m) => own(m).map((a) => a.channel))).toEqual([['whatsapp'], ['whatsapp']]);
    expect(creates().slice(1)).toEqual([
      expect.objectContaining({ To: `whatsapp:${USER}`, From: `whatsapp:${WA_FROM}`, Body: 'first' }),
      expect.objectContaining({ To: `whatsapp:${USER}`, From: `whatsapp:${WA_FROM}`, Body: 'second' }),
    ]);
    expect(await withBusinessOf(gw.request, USER, WA_FROM)).toMatchObject({ providers: ['tw'], window: { open: true }, held: 0, lastOptIn: { template: OPTIN_ES } });
  });
});
