import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Conversation } from '../../src/model.js';
import { startAvayaFake, type AvayaFake } from '../fakes/avaya-fake.js';
import { startTwilioFake, type TwilioFake } from '../fakes/twilio-fake.js';
import { manualClock } from '../helpers/clock.js';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { BUSINESS, CUSTOMER, bridgeConfig, postCustomerSms } from './setup.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A customer who writes often: the stored conversation is read per message, written again only when it changes or ages. */
describe('a bridged conversation as the customer keeps writing', () => {
  let twilio: TwilioFake;
  let avaya: AvayaFake;
  let gw: TestGateway;
  const { clock, advance } = manualClock(Date.parse('2026-03-01T10:00:00Z'));

  beforeEach(async () => {
    twilio = await startTwilioFake();
    avaya = await startAvayaFake({ now: () => clock.now() });
    gw = await startGateway(bridgeConfig(twilio, avaya), { clock });
  });
  afterEach(async () => {
    await gw.close();
    await twilio.close();
    await avaya.close();
  });

  const stored = () => [...gw.app.store.conversations.values()] as Conversation[];
  const deliver = async (text: string, count: number) => {
    await postCustomerSms(gw, text).expect(200);
    // The delivery is a stored job: its timer is due now, and fires once the manual clock moves.
    await eventually(() => {
      advance(0);
      expect(avaya.accepted).toHaveLength(count);
    });
    await gw.app.store.commit();
  };

  it('keeps the first write for a day, then moves its expiry; both keys stay alike', async () => {
    await deliver('first', 1);
    const sessionId = (avaya.accepted[0] as { conversationSessionId: string }).conversationSessionId;
    const first = stored();
    // One record under the (customer, number) pair, one under the contact center's id.
    expect(first).toHaveLength(2);
    expect(first.map((c) => [c.customer, c.business, c.conversationId])).toEqual([[CUSTOMER, BUSINESS, sessionId], [CUSTOMER, BUSINESS, sessionId]]);
    const firstAt = first[0].at;

    advance(3 * HOUR);
    await deliver('second', 2);
    expect(stored().map((c) => c.at)).toEqual([firstAt, firstAt]);

    advance(DAY);
    await deliver('third', 3);
    const later = stored();
    expect(later.map((c) => c.at)).toEqual([new Date(clock.now()).toISOString(), new Date(clock.now()).toISOString()]);
    expect(later.map((c) => c.expiresAt)).toEqual([clock.now() + 30 * DAY, clock.now() + 30 * DAY]);
  });
});
