import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAvayaFake, type AvayaFake } from '../fakes/avaya-fake.js';
import { startTwilioFake, type TwilioFake } from '../fakes/twilio-fake.js';
import { manualClock } from '../helpers/clock.js';
import { eventually, settle, startGateway, type TestGateway } from '../helpers/gateway.js';
import { crashLeftovers } from '../store/helpers.js';
import { bridgeConfig, postCustomerSms } from './setup.js';

/**
 * A customer message's delivery job is stored by the commit that ends the inbound listeners' run,
 * the same one that drops the record's inbound-effects job: a crash in between leaves the effects
 * job, which queues the delivery after the restart — never both, so the contact center gets it once.
 */
describe('a crash after the bridge rule ran, before the listeners committed', () => {
  let twilio: TwilioFake;
  let avaya: AvayaFake;
  const folders: string[] = [];
  const gateways: TestGateway[] = [];

  beforeEach(async () => {
    twilio = await startTwilioFake();
    avaya = await startAvayaFake();
  });
  afterEach(async () => {
    for (const gw of gateways.splice(0)) await gw.close(true);
    for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
    await twilio.close();
    await avaya.close();
  });

  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-bridge-crash-'));
    folders.push(dir);
    return dir;
  };

  it('delivers the message exactly once after the restart', async () => {
    // The manual clock is never advanced in the first life, so nothing of it reaches Avaya.
    const { clock, advance } = manualClock(Date.now());
    const dir = folder();
    const crashed = folder();
    let copies = 0;
    // Runs after the rules, before the commit that ends the listeners' run: the folder as a kill -9 here leaves it.
    const killHere = () => {
      cpSync(join(dir, 'data'), join(crashed, 'data'), { recursive: true });
      crashLeftovers(join(crashed, 'data'));
      copies += 1;
    };
    const first = await startGateway(bridgeConfig(twilio, avaya), { dir, clock, inboundListeners: [killHere] });
    gateways.push(first);
    await postCustomerSms(first, 'I need help').expect(200);
    expect(copies).toBe(1);
    await first.close(true);
    gateways.splice(0);
    expect(avaya.sends).toHaveLength(0);

    const second = await startGateway(bridgeConfig(twilio, avaya), { dir: crashed, clock });
    gateways.push(second);
    advance(0);
    await settle(second.app);
    // No delivery job survived on its own; the stored inbound-effects job brings it once due.
    expect(avaya.sends).toHaveLength(0);
    advance(61_000);
    await eventually(() => {
      advance(0);
      expect(avaya.accepted).toHaveLength(1);
    }, 10_000);
    for (let i = 0; i < 3; i += 1) {
      advance(61_000);
      await settle(second.app);
    }
    expect(avaya.sends).toHaveLength(1);
    expect((avaya.accepted[0] as { body: { text: string } }).body.text).toBe('I need help');
  });
});
