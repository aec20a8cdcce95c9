/**
 * Two instances on one PostgreSQL database: a customer's SMS reaches one, the contact center's
 * agent reply reaches the other, and the reply still leaves once from the business number.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { messagesEvent, startAvayaFake, type AvayaFake } from '../fakes/avaya-fake.js';
import { startTwilioFake, type TwilioFake } from '../fakes/twilio-fake.js';
import { eventually } from '../helpers/gateway.js';
import { onPostgres, postgresGateways } from '../helpers/postgres-gateways.js';
import { BUSINESS, CUSTOMER, bridgeConfig, postAgentEvent, postCustomerSms, twilioSends } from './setup.js';

describe('a bridge on PostgreSQL, across two instances', () => {
  const pg = postgresGateways('');
  let twilio: TwilioFake;
  let avaya: AvayaFake;

  beforeEach(async () => {
    twilio = await startTwilioFake();
    avaya = await startAvayaFake();
  });
  afterEach(async () => {
    await pg.closeAll();
    await twilio.close();
    await avaya.close();
  });

  it('delivers at one instance and answers through the other, once per event', async () => {
    const yaml = onPostgres(bridgeConfig(twilio, avaya), 'lease: 2s');
    const a = await pg.start(undefined, yaml);
    const b = await pg.start(undefined, yaml);

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
