import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/model.js';
import { messagesEvent, sampleSendPath, signEvent, startAvayaFake, type AvayaFake } from '../fakes/avaya-fake.js';
import { API_KEY, READ_KEY, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { BUSINESS, CUSTOMER, WEBHOOK_SECRET, exampleConfig, sampleEnv } from './setup.js';

/**
 * Issue 9's "Done when", as a new user tries it: the example in mock mode (the sample's
 * ENV=mock_twilio), the fake Avaya as Infinity, and nothing but the sample's own requests.
 */
describe('the Avaya connector in mock mode, as the sample is tried', () => {
  let avaya: AvayaFake;
  let gw: TestGateway;

  beforeEach(async () => {
    avaya = await startAvayaFake();
    gw = await startGateway(exampleConfig({ mock: true, avaya: { timeout: '2s' } }), { env: sampleEnv(avaya) });
  });
  afterEach(async () => {
    await gw.close();
    await avaya.close();
  });

  const agentEvent = (event: Record<string, unknown>, secret = WEBHOOK_SECRET) => {
    const { rawBody, signature } = signEvent(secret, event);
    return gw.request.post('/callbacks/avaya/infinity/sms').set('content-type', 'application/json').set('x-avaya-event-signature', signature).send(rawBody);
  };

  it('a customer SMS posted with the sample curl reaches Avaya with a bearer token; an agent reply leaves from the business number', async () => {
    // Byte for byte what `curl -d 'Body=…&To=+1…&From=+1…'` sends: the `+` unencoded.
    const res = await gw.request.post('/callbacks/twilio/sms').set('content-type', 'application/x-www-form-urlencoded').send(`Body=I need help&To=${BUSINESS}&From=${CUSTOMER}`).expect(200);
    expect(res.text).toBe('OK');
    const send = await eventually(() => {
      expect(avaya.accepted).toHaveLength(1);
      return avaya.sends.at(-1)!;
    });
    expect(send.path).toBe(sampleSendPath(avaya.accountId));
    expect(String(send.headers.authorization)).toMatch(/^Bearer \S+\.\S+\.\S+$/);
    expect(avaya.grants.at(-1)).toMatchObject({ form: { grant_type: 'client_credentials', client_id: avaya.clientId, client_secret: avaya.clientSecret } });
    expect(send.body).toMatchObject({ connectorId: avaya.connectorId, channel: 'text', headers: { from: CUSTOMER, to: [BUSINESS], destination: BUSINESS }, body: { text: 'I need help' } });

    await agentEvent(messagesEvent({ from: BUSINESS, to: CUSTOMER, text: 'Hello, this is Ann', senderType: 'agent', eventId: 'evt-1' })).expect(200);
    const sent = await eventually(async () => {
      const { body } = await gw.request.get('/v1/messages?route=agent-replies').set('x-api-key', API_KEY).expect(200);
      expect(body.items).toHaveLength(1);
      const { body: m } = await gw.request.get(`/v1/messages/${(body.items as Message[])[0].id}`).set('x-api-key', API_KEY).expect(200);
      expect((m as Message).attempts).toEqual([expect.objectContaining({ details: expect.anything() })]);
      return m as Message;
    });
    expect(sent.to).toMatchObject({ sms: CUSTOMER });
    expect(sent.content.text).toBe('Hello, this is Ann');
    expect(sent.attempts[0]).toMatchObject({ provider: 'twilio-us', channel: 'sms', details: { from: BUSINESS } });
  });

  it('/api/health and /api/configs answer like the sample, masked, to an admin key only', async () => {
    const health = await gw.request.get('/api/health').expect(200);
    expect(health.body).toEqual({ status: 'healthy', timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), service: 'avaya-infinity-twilio-sms-connector' });

    await gw.request.get('/api/configs').expect(401);
    await gw.request.get('/api/configs').set('x-api-key', READ_KEY).expect(403);
    const { body } = await gw.request.get('/api/configs').set('authorization', `Bearer ${API_KEY}`).expect(200);
    expect(body).toEqual({
      success: true,
      config: {
        // Mock mode has no Twilio credentials to show.
        twilio: { account: {}, apiKey: {}, isMockMode: true },
        avaya: {
          host: avaya.url,
          accountId: avaya.accountId,
          clientId: 'fak***nt', // fake-avaya-client
          clientSecret: 'fak***et', // fake-avaya-secret
          connectorId: avaya.connectorId,
          webhookSecret: 'ava***23', // avaya-webhook-secret-0123
          isMockMode: false,
        },
      },
    });
  });

  it('refuses unsigned and forged agent events, and a curl without To, each counted', async () => {
    const event = messagesEvent({ from: BUSINESS, to: CUSTOMER, text: 'hi' });
    await gw.request.post('/callbacks/avaya/infinity/sms').set('content-type', 'application/json').send(event).expect(401);
    await agentEvent(event, 'not-the-secret').expect(403);
    const bad = await gw.request.post('/callbacks/twilio/sms').type('form').send({ Body: 'hi', From: CUSTOMER }).expect(400);
    expect(bad.body.message).toMatch(/From, To and Body/);
    const metrics = (await gw.request.get('/metrics')).text;
    expect(metrics).toMatch(/switchboard_webhooks_total\{provider="avaya",kind="events",result="rejected_signature"\} 2/);
    expect(metrics).toMatch(/switchboard_webhooks_total\{provider="twilio-us",kind="inbound",result="invalid"\} 1/);
    expect(avaya.sends).toHaveLength(0);
  });

  it('a health_check event is 200, and a customer echo sends nothing', async () => {
    await agentEvent({ eventType: 'health_check', eventId: 'hc-1' }).expect(200);
    await agentEvent(messagesEvent({ from: CUSTOMER, to: BUSINESS, text: 'echo', senderType: 'customer' })).expect(200);
    const { body } = await gw.request.get('/v1/messages?route=agent-replies').set('x-api-key', API_KEY).expect(200);
    expect(body.items).toHaveLength(0);
  });
});

describe('without compat.avayaConnector', () => {
  it('the connector paths do not exist', async () => {
    const avaya = await startAvayaFake();
    const yaml = exampleConfig({ mock: true }).replace(/\ncompat:[\s\S]*$/, '\n');
    const gw = await startGateway(yaml, { env: sampleEnv(avaya) });
    try {
      await gw.request.get('/api/health').expect(404);
      await gw.request.get('/api/configs').set('x-api-key', API_KEY).expect(404);
      await gw.request.post('/callbacks/twilio/sms').type('form').send({ Body: 'hi', To: BUSINESS, From: CUSTOMER }).expect(404);
      await gw.request.post('/callbacks/avaya/infinity/sms').send({}).expect(404);
    } finally {
      await gw.close();
      await avaya.close();
    }
  });
});
