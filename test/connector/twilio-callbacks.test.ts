import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { messagesEvent, signEvent, startAvayaFake, type AvayaFake } from '../fakes/avaya-fake.js';
import { inboundParams, inboundRequest, startTwilioFake, type TwilioFake } from '../fakes/twilio-fake.js';
import { API_KEY, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { ACCOUNT_SID, AUTH_TOKEN, BUSINESS, CUSTOMER, PUBLIC, WEBHOOK_SECRET, exampleConfig, sampleEnv } from './setup.js';

/** The example as written (a twilio instance), its REST calls pointed at the Twilio fake. */
describe('the Avaya connector with a Twilio instance', () => {
  let twilio: TwilioFake;
  let avaya: AvayaFake;
  let gw: TestGateway;

  beforeEach(async () => {
    twilio = await startTwilioFake();
    avaya = await startAvayaFake();
    gw = await startGateway(exampleConfig({ twilio: { baseUrl: twilio.url, timeout: '2s' }, avaya: { timeout: '2s' } }), { env: sampleEnv(avaya) });
  });
  afterEach(async () => {
    await gw.close();
    await twilio.close();
    await avaya.close();
  });

  // Twilio signs the public URL it called: this path, under server.publicUrl.
  const signedSms = (text: string, url = `${PUBLIC}/callbacks/twilio/sms`) =>
    inboundRequest({ url, authToken: AUTH_TOKEN, params: inboundParams({ from: CUSTOMER, to: BUSINESS, body: text, accountSid: ACCOUNT_SID }) });

  it('takes a signed Twilio webhook on /callbacks/twilio/sms to Avaya, and sends the agent reply through Twilio', async () => {
    const signed = signedSms('I need help');
    const res = await gw.request.post('/callbacks/twilio/sms').set(signed.headers).type('form').send(signed.body).expect(200);
    expect(res.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    await eventually(() => expect(avaya.accepted).toHaveLength(1));
    expect(avaya.sends[0].body).toMatchObject({ headers: { from: CUSTOMER, to: [BUSINESS] }, body: { text: 'I need help' }, providerMetaData: { messageId: signed.params.MessageSid } });

    const { rawBody, signature } = signEvent(WEBHOOK_SECRET, messagesEvent({ from: BUSINESS, to: CUSTOMER, text: 'On it', senderType: 'bot' }));
    await gw.request.post('/callbacks/avaya/infinity/sms').set('content-type', 'application/json').set('x-avaya-event-signature', signature).send(rawBody).expect(200);
    const out = await eventually(() => {
      const sent = twilio.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Messages.json'));
      expect(sent).toHaveLength(1);
      return sent[0];
    });
    expect(out.form).toMatchObject({ To: CUSTOMER, From: BUSINESS, Body: 'On it' });
  });

  it('refuses the unsigned sample curl, and a signature made for another URL', async () => {
    await gw.request.post('/callbacks/twilio/sms').type('form').send({ Body: 'hi', To: BUSINESS, From: CUSTOMER }).expect(403);
    const elsewhere = signedSms('hi', `${PUBLIC}/webhooks/twilio-us/inbound`);
    await gw.request.post('/callbacks/twilio/sms').set(elsewhere.headers).type('form').send(elsewhere.body).expect(403);
    const metrics = (await gw.request.get('/metrics')).text;
    expect(metrics).toMatch(/switchboard_webhooks_total\{provider="twilio-us",kind="inbound",result="rejected_signature"\} 2/);
    expect(avaya.sends).toHaveLength(0);
  });

  it('masks the Twilio credentials the sample way', async () => {
    const { body } = await gw.request.get('/api/configs').set('x-api-key', API_KEY).expect(200);
    expect(body.config.twilio).toEqual({ account: { sid: 'AC0***ef', authToken: 'twi***en' }, apiKey: {}, isMockMode: false });
  });
});
