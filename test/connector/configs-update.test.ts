import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { messagesEvent, signEvent, startAvayaFake, type AvayaFake } from '../fakes/avaya-fake.js';
import { inboundParams, inboundRequest, startTwilioFake, type TwilioFake } from '../fakes/twilio-fake.js';
import { API_KEY, READ_KEY, startGateway, type TestGateway } from '../helpers/gateway.js';
import { ACCOUNT_SID, AUTH_TOKEN, BUSINESS, CUSTOMER, PUBLIC, WEBHOOK_SECRET, exampleConfig, sampleEnv } from './setup.js';

const NEW_TOKEN = 'rotated-twilio-auth-token-42';
const NEW_WEBHOOK_SECRET = 'rotated-avaya-webhook-secret-77';

describe('POST /api/configs', () => {
  let twilio: TwilioFake;
  let avaya: AvayaFake;
  let gw: TestGateway;
  let yaml: string;

  beforeEach(async () => {
    twilio = await startTwilioFake();
    avaya = await startAvayaFake();
    yaml = exampleConfig({ twilio: { baseUrl: twilio.url, timeout: '2s' }, avaya: { timeout: '2s' } });
    gw = await startGateway(yaml, { env: sampleEnv(avaya) });
  });
  afterEach(async () => {
    await gw.close();
    await twilio.close();
    await avaya.close();
  });

  const overlayFile = () => join(gw.dir, 'data', 'config-overlay.json');
  const post = (body: unknown, key = API_KEY) => gw.request.post('/api/configs').set('x-api-key', key).send(body as object);
  /** A customer SMS signed with `token`, as Twilio would sign it. */
  const customerSms = (token: string) => {
    const signed = inboundRequest({ url: `${PUBLIC}/callbacks/twilio/sms`, authToken: token, params: inboundParams({ from: CUSTOMER, to: BUSINESS, body: 'hi', accountSid: ACCOUNT_SID }) });
    return gw.request.post('/callbacks/twilio/sms').set(signed.headers).type('form').send(signed.body);
  };
  const agentEvent = (secret: string) => {
    const { rawBody, signature } = signEvent(secret, messagesEvent({ from: BUSINESS, to: CUSTOMER, text: 'hello', senderType: 'customer' }));
    return gw.request.post('/callbacks/avaya/infinity/sms').set('content-type', 'application/json').set('x-avaya-event-signature', signature).send(rawBody);
  };
  const readyHash = async () => (await gw.request.get('/-/ready').expect(200)).body.configHash as string;

  it('writes the overlay (0600), reloads, masks it everywhere, and keeps it across a restart', async () => {
    const hashBefore = await readyHash();
    const res = await post({ twilio: { account: { sid: ACCOUNT_SID, authToken: NEW_TOKEN } }, avaya: { webhookSecret: NEW_WEBHOOK_SECRET } }).expect(200);
    expect(res.body).toMatchObject({
      success: true,
      message: 'Configuration updated successfully',
      changes: { twilioChanged: true, avayaChanged: true },
      config: { twilio: { account: { sid: 'AC0***ef', authToken: 'rot***42' } }, avaya: { webhookSecret: 'rot***77' } },
    });
    // The sid was the serving value already: the overlay holds only what changed.
    expect(JSON.parse(readFileSync(overlayFile(), 'utf8')).providers).toEqual({ 'twilio-us': { authToken: NEW_TOKEN }, avaya: { webhookSecret: NEW_WEBHOOK_SECRET } });
    expect(statSync(overlayFile()).mode & 0o777).toBe(0o600);
    expect(await readyHash()).not.toBe(hashBefore);

    // Live at once: the new credentials verify, the old ones no longer do.
    await customerSms(NEW_TOKEN).expect(200);
    await customerSms(AUTH_TOKEN).expect(403);
    await agentEvent(NEW_WEBHOOK_SECRET).expect(200);
    await agentEvent(WEBHOOK_SECRET).expect(403);

    const shown = await gw.request.get('/-/config').set('x-api-key', API_KEY).expect(200);
    expect(shown.body.providers['twilio-us'].authToken).toBe('***');
    expect(shown.body.providers.avaya.webhookSecret).toBe('***');
    for (const text of [shown.text, gw.logs.join('')]) {
      expect(text).not.toContain(NEW_TOKEN);
      expect(text).not.toContain(NEW_WEBHOOK_SECRET);
    }

    await gw.close(true);
    gw = await startGateway(yaml, { env: sampleEnv(avaya), dir: gw.dir });
    await customerSms(NEW_TOKEN).expect(200);
    await agentEvent(NEW_WEBHOOK_SECRET).expect(200);
    const { body } = await gw.request.get('/api/configs').set('x-api-key', API_KEY).expect(200);
    expect(body.config.twilio.account.authToken).toBe('rot***42');
  });

  it('refuses a bad update like a bad reload: 400 with the errors, the overlay and the serving config as they were', async () => {
    await post({ twilio: { account: { authToken: NEW_TOKEN } } }).expect(200);
    const overlayBefore = readFileSync(overlayFile(), 'utf8');
    const configsBefore = (await gw.request.get('/api/configs').set('x-api-key', API_KEY)).body;

    const res = await post({ twilio: { account: { sid: 'not-an-account-sid', authToken: 'another-token-1234' } }, avaya: { host: 'https://core.example.test/with/a/path' } }).expect(400);
    expect(res.body.code).toBe('config_invalid');
    const details = (res.body.details as string[]).join('\n');
    expect(details).toMatch(/config-overlay\.json: providers\.twilio-us\.accountSid: must match pattern/);
    expect(details).toMatch(/config-overlay\.json: providers\.avaya\.baseUrl: must match pattern/);
    expect(res.text).not.toContain('another-token-1234');

    expect(readFileSync(overlayFile(), 'utf8')).toBe(overlayBefore);
    expect((await gw.request.get('/api/configs').set('x-api-key', API_KEY)).body).toEqual(configsBefore);
    await customerSms(NEW_TOKEN).expect(200);
    expect((await gw.request.get('/metrics')).text).toMatch(/switchboard_config_last_reload_successful 0/);
    expect(gw.logs.join('')).toMatch(/configuration reload refused; the previous configuration keeps serving/);
    expect(gw.logs.join('')).not.toContain('another-token-1234');
  });

  it('a refused first update leaves no overlay behind', async () => {
    await post({ twilio: { apiKey: { sid: `SK${'0'.repeat(32)}` } } }).expect(400); // apiKeySid without apiKeySecret
    expect(existsSync(overlayFile())).toBe(false);
  });

  it('400 for unknown fields, wrong types and a mock-mode switch; nothing written', async () => {
    for (const body of [
      { twilio: { account: { sid: ACCOUNT_SID, region: 'us1' } } },
      { avaya: { host: 42 } },
      { twilio: { isMockMode: 'no' } },
      { logging: true },
      [{ avaya: {} }],
    ]) {
      const res = await post(body).expect(400);
      expect(res.body.code).toBe('validation_failed');
    }
    const mock = await post({ twilio: { isMockMode: true } }).expect(400);
    expect(mock.body.message).toMatch(/twilio-us" is a twilio instance in gateway\.yaml/);
    expect(existsSync(overlayFile())).toBe(false);
  });

  it('an empty string gives the field back to gateway.yaml; a repeat of the serving values changes nothing', async () => {
    await post({ twilio: { account: { authToken: NEW_TOKEN } } }).expect(200);
    const res = await post({ twilio: { account: { authToken: '' } } }).expect(200);
    expect(res.body.changes).toEqual({ twilioChanged: true, avayaChanged: false });
    expect(existsSync(overlayFile())).toBe(false);
    await customerSms(AUTH_TOKEN).expect(200);

    const same = await post({ avaya: { host: avaya.url, accountId: avaya.accountId } }).expect(200);
    expect(same.body).toMatchObject({ message: 'Nothing to change', changes: { twilioChanged: false, avayaChanged: false } });
    expect(existsSync(overlayFile())).toBe(false);
  });

  it('a bare host gets https:// as in the sample', async () => {
    const res = await post({ avaya: { host: 'core.tenant.ec.avayacloud.com' } }).expect(200);
    expect(res.body.config.avaya.host).toBe('https://core.tenant.ec.avayacloud.com');
  });

  it('wants an admin key', async () => {
    await gw.request.post('/api/configs').send({}).expect(401);
    await post({}, READ_KEY).expect(403);
  });
});

describe('POST /api/configs with allowUpdates off', () => {
  it('is 403 (GET still answers), and writes nothing', async () => {
    const avaya = await startAvayaFake();
    const gw = await startGateway(exampleConfig({ mock: true, allowUpdates: false }), { env: sampleEnv(avaya) });
    try {
      const res = await gw.request.post('/api/configs').set('x-api-key', API_KEY).send({ avaya: { clientSecret: 'x'.repeat(12) } }).expect(403);
      expect(res.body.message).toMatch(/allowUpdates: true/);
      await gw.request.get('/api/configs').set('x-api-key', API_KEY).expect(200);
      expect(existsSync(join(gw.dir, 'data', 'config-overlay.json'))).toBe(false);
    } finally {
      await gw.close();
      await avaya.close();
    }
  });

  it('in mock mode, Twilio credentials are refused with a reason', async () => {
    const avaya = await startAvayaFake();
    const gw = await startGateway(exampleConfig({ mock: true }), { env: sampleEnv(avaya) });
    try {
      const res = await gw.request.post('/api/configs').set('x-api-key', API_KEY).send({ twilio: { account: { sid: 'dummy-sid' }, isMockMode: true } }).expect(400);
      expect(res.body.message).toMatch(/mock instance \(mock mode\)/);
      // Empty values, as the sample's README suggests for mock mode, are fine.
      await gw.request.post('/api/configs').set('x-api-key', API_KEY).send({ twilio: { account: { sid: '', authToken: '' }, isMockMode: true } }).expect(200);
    } finally {
      await gw.close();
      await avaya.close();
    }
  });
});
