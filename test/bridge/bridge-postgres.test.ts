/**
 * Two instances on one PostgreSQL database: a customer's SMS reaches one, the contact center's
 * agent reply reaches the other, and the reply still leaves once from the business number.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { messagesEvent, startAvayaFake, type AvayaFake } from '../fakes/avaya-fake.js';
import { startTwilioFake, type TwilioFake } from '../fakes/twilio-fake.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { createDatabase } from '../helpers/postgres.js';
import { BUSINESS, CUSTOMER, bridgeConfig, postAgentEvent, postCustomerSms, twilioSends } from './setup.js';

describe('a bridge on PostgreSQL, across two instances', () => {
  let db: { url: string; drop(): Promise<void> };
  let twilio: TwilioFake;
  let avaya: AvayaFake;
  const running: TestGateway[] = [];

  beforeEach(async () => {
    db = await createDatabase(inject('postgresUrl'));
    twilio = await startTwilioFake();
    avaya = await startAvayaFake();
  });
  afterEach(async () => {
    for (const gw of running.splice(0)) await gw.close().catch(() => undefined);
    await twilio.close();
    await avaya.close();
    await db.drop();
  });

  it('delivers at one instance and answers through the other, once per event', async () => {
    const yaml = bridgeConfig(twilio, avaya).replace('store: { path: ./data }', 'store: { kind: postgres, url: "${env:DATABASE_URL}", lease: 2s }');
    for (let i = 0; i < 2; i += 1) running.push(await startGateway(yaml, { env: { DATABASE_URL: db.url } }));
    const [a, b] = running;

    await postCustomerSms(a, 'hello from the customer').expect(200);
    await eventually(() => expect(avaya.accepted).toHaveLength(1), 15_000);

    // The reply names only the conversation (Avaya's session id), which instance a learned.
    const conversationId = String(avaya.accepted[0].conversationSessionId);
    const reply = messagesEvent({ from: BUSINESS, to: CUSTOMER, text: 'Ann here', eventId: 'evt-pg-1', conversationSessionId: conversationId });
    await postAgentEvent(b, reply).expect(200);
    await postAgentEvent(a, reply).expect(200);
    await eventually(() => expect(twilioSends(twilio)).toHaveLength(1), 15_000);
    expect(twilioSends(twilio)[0].form).toMatchObject({ To: CUSTOMER, From: BUSINESS, Body: 'Ann here' });
    const conversation = await b.app.store.conversations.fetch(`id:avaya/${conversationId}`);
    expect(conversation).toMatchObject({ bridge: 'support', customer: CUSTOMER, business: BUSINESS, channel: 'sms', provider: 'twilio-us' });
  });
});
