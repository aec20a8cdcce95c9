import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/model.js';
import { messagesEvent, sampleSendPath, signEvent, startAvayaFake, type AvayaFake } from '../fakes/avaya-fake.js';
import { startTwilioFake, type TwilioFake } from '../fakes/twilio-fake.js';
import { API_KEY, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { inboundParams, inboundRequest } from '../fakes/twilio-fake.js';
import { ACCOUNT_SID, AUTH_TOKEN, BUSINESS, CUSTOMER, PUBLIC, bridgeConfig, postAgentEvent, postCustomerSms, twilioSends } from './setup.js';

describe('a bridge between Twilio SMS and Avaya Infinity', () => {
  let twilio: TwilioFake;
  let avaya: AvayaFake;
  let gw: TestGateway;

  beforeEach(async () => {
    twilio = await startTwilioFake();
    avaya = await startAvayaFake();
    gw = await startGateway(bridgeConfig(twilio, avaya));
  });
  afterEach(async () => {
    await gw.close();
    await twilio.close();
    await avaya.close();
  });

  const customerSms = (text: string) => postCustomerSms(gw, text);
  const agentEvent = (event: Record<string, unknown>) => postAgentEvent(gw, event);
  const sentByTwilio = () => twilioSends(twilio);

  it('delivers a customer SMS to Avaya with a bearer token, and an agent reply back from the business number', async () => {
    await customerSms('I need help').expect(200);
    const send = await eventually(() => {
      expect(avaya.sends).toHaveLength(1);
      return avaya.sends[0];
    });
    expect(send.path).toBe(sampleSendPath(avaya.accountId));
    expect(String(send.headers.authorization)).toMatch(/^Bearer \S+\.\S+\.\S+$/);
    expect(send.body).toMatchObject({ connectorId: avaya.connectorId, channel: 'text', headers: { from: CUSTOMER, to: [BUSINESS] }, body: { text: 'I need help' } });

    await agentEvent(messagesEvent({ from: BUSINESS, to: CUSTOMER, text: 'Hello, this is Ann', senderType: 'agent', eventId: 'evt-1' })).expect(200);
    const out = await eventually(() => {
      expect(sentByTwilio()).toHaveLength(1);
      return sentByTwilio()[0];
    });
    expect(out.form).toMatchObject({ To: CUSTOMER, From: BUSINESS, Body: 'Hello, this is Ann' });

    // The same event again, and the customer's own message echoed: nothing more goes out.
    await agentEvent(messagesEvent({ from: BUSINESS, to: CUSTOMER, text: 'Hello, this is Ann', senderType: 'agent', eventId: 'evt-1' })).expect(200);
    await agentEvent(messagesEvent({ from: CUSTOMER, to: BUSINESS, text: 'I need help', senderType: 'customer', eventId: 'evt-2' })).expect(200);
    const { body } = await gw.request.get('/v1/messages?route=agent-replies').set('x-api-key', API_KEY).expect(200);
    expect((body.items as Message[]).map((m) => m.tags)).toEqual([{ bridge: 'support' }]);
    const metrics = (await gw.request.get('/metrics')).text;
    expect(metrics).toMatch(/switchboard_bridged_messages_total\{bridge="support",direction="to_contact_center",result="delivered"\} 1/);
    expect(metrics).toMatch(/switchboard_bridged_messages_total\{bridge="support",direction="to_customer",result="accepted"\} 1/);
    expect(metrics).toMatch(/switchboard_bridged_messages_total\{bridge="support",direction="to_customer",result="skipped"\} 1/);
  });

  it('refuses an agent reply to a number no bridge owns, and a forged one', async () => {
    const res = await agentEvent(messagesEvent({ from: '+15550009999', to: CUSTOMER, text: 'hi', eventId: 'evt-x' })).expect(400);
    expect(res.body.message).toMatch(/no bridge joins avaya to the business number \+15550009999/);
    const forged = signEvent('wrong-secret', messagesEvent({ from: BUSINESS, to: CUSTOMER, text: 'hi' }));
    await gw.request.post('/webhooks/avaya/events').set('content-type', 'application/json').set('x-avaya-event-signature', forged.signature).send(forged.rawBody).expect(403);
    expect(sentByTwilio()).toHaveLength(0);
  });

  it('retries Avaya 5xx, then keeps the delivery as a dead letter that replay sends', async () => {
    avaya.failNext(503, 100);
    await customerSms('anyone there?').expect(200);
    const dead = await eventually(async () => {
      const { body } = await gw.request.get('/v1/dead-letters').set('x-api-key', API_KEY).expect(200);
      expect(body.items).toHaveLength(1);
      return body.items[0] as { id: string; kind: string; reason: string };
    }, 10_000);
    expect(dead.kind).toBe('contact-center');
    expect(dead.reason).toMatch(/503/);
    expect(avaya.sends.length).toBeGreaterThanOrEqual(2);
    avaya.clearFailures();
    const before = avaya.accepted.length;
    await gw.request.post(`/v1/dead-letters/${dead.id}/replay`).set('x-api-key', API_KEY).expect(202);
    await eventually(() => expect(avaya.accepted.length).toBe(before + 1), 10_000);
  });

  it('counts contact-center token fetches and their failures', async () => {
    avaya.failNextToken(500);
    await customerSms('first').expect(200);
    await eventually(() => expect(avaya.accepted).toHaveLength(1), 10_000);
    const metrics = (await gw.request.get('/metrics')).text;
    expect(metrics).toMatch(/switchboard_provider_request_duration_seconds_count\{provider="avaya",operation="oauth_token"\} 2/);
    expect(metrics).toMatch(/switchboard_provider_operation_failures_total\{provider="avaya",operation="oauth_token"\} 1/);
  });

  it('sends an agent reply through a route that falls back from WhatsApp to SMS, from the business number on both', async () => {
    await gw.close();
    gw = await startGateway(bridgeConfig(twilio, avaya, [
      '      - { channel: whatsapp, providers: [twilio-us], until: delivered, within: 1s }',
      '      - { channel: sms, providers: [twilio-us], until: accepted, within: 30s }',
    ].join('\n')));
    await customerSms('hello').expect(200);
    await eventually(() => expect(avaya.accepted).toHaveLength(1), 10_000);
    await agentEvent(messagesEvent({ from: BUSINESS, to: CUSTOMER, text: 'On WhatsApp or SMS', eventId: 'evt-wa' })).expect(200);
    // The fake sends no receipts: WhatsApp is never delivered, and the route moves on to SMS.
    await eventually(() => expect(sentByTwilio()).toHaveLength(2), 10_000);
    expect(sentByTwilio().map((r) => [r.form.To, r.form.From])).toEqual([[`whatsapp:${CUSTOMER}`, `whatsapp:${BUSINESS}`], [CUSTOMER, BUSINESS]]);
    const { body } = await gw.request.get('/v1/messages?route=agent-replies').set('x-api-key', API_KEY).expect(200);
    expect((body.items as Message[])[0].history.some((h) => h.event === 'fallback')).toBe(true);
  });

  it('delivers each of a burst of customers once while Avaya answers slowly', async () => {
    const customers = Array.from({ length: 100 }, (_, i) => `+1555300${String(i).padStart(4, '0')}`);
    avaya.failNext({ delayMs: 300 }, customers.length);
    await Promise.all(customers.map((from) => {
      const signed = inboundRequest({ url: `${PUBLIC}/webhooks/twilio-us/inbound`, authToken: AUTH_TOKEN, params: inboundParams({ from, to: BUSINESS, body: `from ${from}`, accountSid: ACCOUNT_SID }) });
      return gw.request.post('/webhooks/twilio-us/inbound').set(signed.headers).type('form').send(signed.body).expect(200);
    }));
    await eventually(() => expect(avaya.accepted).toHaveLength(customers.length), 20_000);
    const senders = avaya.accepted.map((a) => (a as { headers: { from: string } }).headers.from).sort();
    expect(senders).toEqual(customers);
    await gw.app.scheduler.idle();
    expect(avaya.sends).toHaveLength(customers.length);
  });
});
