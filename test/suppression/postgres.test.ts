/**
 * Suppression on PostgreSQL: two gateways on one database share the list — a STOP one of them
 * receives skips a send the other makes, the API of either sees and changes it, the gauge counts
 * it — and it survives a restart.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { API_KEY, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { metric } from '../helpers/metrics.js';
import { createDatabase } from '../helpers/postgres.js';
import { failedEvent, startBandwidthFake } from '../fakes/bandwidth-fake.js';
import { startTwilioFake } from '../fakes/twilio-fake.js';
import { ACCOUNT_SID, AUTH_TOKEN, BW_CLIENT_ID, BW_CLIENT_SECRET, BW_FROM, CB_PASSWORD, CB_USER, CUSTOMER, basic, integrationConfig } from '../integration/harness.js';
import { A_FROM, USER, done, entries, inbound, notices, outline, send, suppressionConfig } from './helpers.js';

const onPostgres = (config: string) => config.replace('store: { path: ./data }', 'store: { kind: postgres, url: "${env:DATABASE_URL}" }');
const yaml = onPostgres(suppressionConfig());

let db: { url: string; drop(): Promise<void> };
const running: TestGateway[] = [];

async function start(dir?: string, config = yaml): Promise<TestGateway> {
  const gw = await startGateway(config, { env: { DATABASE_URL: db.url }, dir });
  running.push(gw);
  return gw;
}

beforeEach(async () => {
  db = await createDatabase(inject('postgresUrl'));
});
afterEach(async () => {
  for (const gw of running.splice(0)) await gw.close().catch(() => undefined);
  await db.drop();
});

describe('suppression on PostgreSQL', () => {
  it('a STOP received by one instance skips a send from another, both see and change the list, and it survives a restart', async () => {
    const a = await start();
    const b = await start();
    expect(outline(await done(b, await send(b, 'sms-a'))).sent).toEqual(['sms']);

    await inbound(a, 'sms-a', 'STOP');
    const skipped = await done(b, await send(b, 'sms-a'));
    expect(outline(skipped).sent).toEqual(['email']);
    expect(outline(skipped).skipped[0]).toMatch(/^suppressed: STOP received 20/);
    expect((await entries(b)).map((e) => [e.channel, e.sender, e.address, e.source])).toEqual([['sms', A_FROM, USER, 'keyword']]);
    expect(metric((await b.request.get('/metrics')).text, 'switchboard_suppression_list_size', { channel: 'sms' }, Number.NaN)).toBe(1);
    // One confirmation, sent by the instance that heard the STOP.
    expect(await notices(b, 'opt-out')).toHaveLength(1);

    // The same STOP again, at the other instance: nothing new, no second confirmation.
    await inbound(b, 'sms-a', 'stop');
    expect(await entries(a)).toHaveLength(1);
    expect(await notices(a, 'opt-out')).toHaveLength(1);

    // An operator's entry added at one instance is there at the other.
    await a.request.post('/v1/suppressions').set('x-api-key', API_KEY).send({ channel: 'email', sender: 'alerts@example.com', address: 'user@example.com' }).expect(201);
    expect((await entries(b, '?channel=email')).map((e) => e.source)).toEqual(['api']);

    const { dir } = b;
    running.splice(running.indexOf(b), 1);
    await b.close(true);
    const again = await start(dir);
    expect((await entries(again)).map((e) => e.channel).sort()).toEqual(['email', 'sms']);
    expect(outline(await done(again, await send(again, 'sms-a'))).sent).toEqual(['email']);

    // START at the restarted instance lifts it for the other one.
    await inbound(again, 'sms-a', 'START');
    expect(outline(await done(a, await send(a, 'sms-a'))).sent).toEqual(['sms']);
    await a.request.delete(`/v1/suppressions/email/${encodeURIComponent('alerts@example.com')}/${encodeURIComponent('user@example.com')}`).set('x-api-key', API_KEY).expect(204);
    expect(await entries(again)).toEqual([]);
    expect(metric((await again.request.get('/metrics')).text, 'switchboard_suppression_list_size', { channel: 'sms' }, Number.NaN)).toBe(0);
  });
});

describe('provider opt-outs on PostgreSQL', () => {
  it('a Bandwidth 4775 receipt at one instance (real bandwidth-sdk against the fake) skips the next Bandwidth send from the other', async () => {
    const twilio = await startTwilioFake({ credentials: { username: ACCOUNT_SID, password: AUTH_TOKEN } });
    const bw = await startBandwidthFake({ clientId: BW_CLIENT_ID, clientSecret: BW_CLIENT_SECRET });
    try {
      const config = onPostgres(integrationConfig(twilio, bw));
      const a = await start(undefined, config);
      const b = await start(undefined, config);
      const post = (gw: TestGateway) => gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({ route: 'bw-sms', to: { sms: CUSTOMER }, content: { text: 'hi' } }).expect(202);
      const first = (await post(a)).body.id as string;
      await eventually(async () => expect((await a.request.get(`/v1/messages/${first}`).set('x-api-key', API_KEY)).body.attempts[0]?.providerMessageId).toBeDefined());
      await b.request.post('/webhooks/bandwidth/callbacks').set('authorization', basic(CB_USER, CB_PASSWORD)).set('content-type', 'application/json')
        .send(JSON.stringify([failedEvent(bw.sent[0], 4775)])).expect(200);
      expect((await entries(a)).map((e) => [e.sender, e.address, e.source, e.detail])).toEqual([[BW_FROM, CUSTOMER, 'provider', '4775 from bandwidth']]);
      const second = await done(a, (await post(a)).body.id as string);
      expect(second.attempts).toEqual([]);
      expect(bw.messageRequests()).toHaveLength(1);
    } finally {
      for (const gw of running.splice(0)) await gw.close().catch(() => undefined);
      await twilio.close();
      await bw.close();
    }
  });
});
