import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/model.js';
import { configErrorsOf } from '../helpers/config-errors.js';
import { eventually, startGateway } from '../helpers/gateway.js';
import { API_KEY, CUSTOMER, SMS_CHANNEL, WA_CHANNEL, exampleConfig, exampleEnv, startAzureHarness, type AzureHarness } from './setup.js';

describe('the Messaging Connect service\'s API (compat.messagingConnect)', () => {
  let h: AzureHarness;
  beforeAll(async () => {
    h = await startAzureHarness();
  });
  afterAll(() => h.close());

  const test = (body: unknown, key: string | null = API_KEY, idempotency?: string) => {
    let req = h.gw.request.post('/messaging-connect/test');
    if (key) req = req.set('x-api-key', key);
    if (idempotency) req = req.set('idempotency-key', idempotency);
    return req.send(body as object);
  };

  it('POST /messaging-connect/test sends on the route of the channel named, answering like the service', async () => {
    const res = await test({ channel_id: WA_CHANNEL, phone_number: CUSTOMER.slice(1), message: 'Hello from the test page' }).expect(200);
    expect(res.body).toEqual({ success: true, result: { message_id: expect.any(String), status: 'accepted' }, service: 'messaging_connect' });
    const id = res.body.result.message_id as string;
    const m = (await h.gw.request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY).expect(200)).body as Message;
    expect(m).toMatchObject({ route: 'notify', to: { whatsapp: CUSTOMER, sms: CUSTOMER }, content: { text: 'Hello from the test page' } });
    await eventually(() => expect(h.acs.sent.at(-1)?.body).toEqual({ channelRegistrationId: WA_CHANNEL, to: [CUSTOMER], kind: 'text', content: 'Hello from the test page' }));

    const sms = await test({ channel_id: SMS_CHANNEL.toUpperCase(), phone_number: CUSTOMER, message: 'by SMS' }).expect(200);
    const smsMessage = (await h.gw.request.get(`/v1/messages/${sms.body.result.message_id}`).set('x-api-key', API_KEY).expect(200)).body as Message;
    expect(smsMessage).toMatchObject({ route: 'sms', to: { sms: CUSTOMER } });
  });

  it('replays an Idempotency-Key with the same message id; refuses a missing key, an unknown channel and a bad body', async () => {
    const body = { channel_id: WA_CHANNEL, phone_number: CUSTOMER, message: 'once' };
    const first = await test(body, API_KEY, 'mc-1').expect(200);
    const again = await test(body, API_KEY, 'mc-1').expect(200);
    expect(again.body.result.message_id).toBe(first.body.result.message_id);
    expect(again.headers['idempotent-replayed']).toBe('true');

    await test(body, null).expect(401);
    const unknown = await test({ ...body, channel_id: '00000000-0000-4000-8000-000000000000' }).expect(400);
    expect(unknown.body).toMatchObject({ code: 'validation_failed', message: expect.stringContaining('not a channel registration of acs') });
    await test({ ...body, phone_number: 'call me' }).expect(400);
    await test({ ...body, extra: true }).expect(400);
  });

  it('GET /health names the ACS endpoint; without compat.messagingConnect both paths are 404', async () => {
    expect((await h.gw.request.get('/health').expect(200)).body).toMatchObject({ status: 'healthy', acs_endpoint: h.acs.url });
    const off = await startGateway(exampleConfig({ compat: {} }), { env: exampleEnv({ ACS_ENDPOINT: 'http://127.0.0.1:9' }) });
    try {
      await off.request.get('/health').expect(404);
      await off.request.post('/messaging-connect/test').set('x-api-key', API_KEY).send({ channel_id: WA_CHANNEL, phone_number: CUSTOMER, message: 'x' }).expect(404);
    } finally {
      await off.close();
    }
  });
});

describe('compat.messagingConnect in gateway.yaml', () => {
  it('must name an acs instance and routes that start on the channel they stand for', async () => {
    const errors = await configErrorsOf(exampleConfig({ 'compat.messagingConnect': { provider: 'infobip', whatsappRoute: 'sms', smsRoute: 'nowhere' } }), exampleEnv());
    expect(errors).toEqual([
      expect.stringMatching(/^gateway\.yaml:\d+:\d+: compat\.messagingConnect: provider "infobip" is an instance of plugin infobip; Messaging Connect needs an acs one$/),
      expect.stringMatching(/compat\.messagingConnect\.whatsappRoute: route "sms" starts with sms, not whatsapp$/),
      expect.stringMatching(/compat\.messagingConnect\.smsRoute: unknown route "nowhere"$/),
    ]);
  });
});
