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
    // The first life, which did not crash, tries the delivery at once, with no timer: the manual
    // clock never moves here.
    await eventually(() => expect(avaya.accepted).toHaveLength(1), 10_000);
    await first.close(true);
    gateways.splice(0);
    // From here on, only what the crashed copy does.
    avaya.sends.length = 0;
    avaya.accepted.length = 0;

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

/**
 * The delivery is tried at once, not by a timer; its stored timer, due two send ceilings later,
 * is there for a process that dies during that try.
 */
describe('a crash during the first try of a stored delivery', () => {
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

  it('leaves the delivery to its stored timer after the restart, once', async () => {
    const { clock, advance } = manualClock(Date.now());
    const dir = mkdtempSync(join(tmpdir(), 'sb-bridge-try-'));
    const crashed = mkdtempSync(join(tmpdir(), 'sb-bridge-try-crashed-'));
    folders.push(dir, crashed);
    // Avaya holds the first try's request: the folder is copied while it waits, as a kill -9 then leaves it.
    avaya.failNext({ delayMs: 1500 });
    const first = await startGateway(bridgeConfig(twilio, avaya), { dir, clock });
    gateways.push(first);
    await postCustomerSms(first, 'Where is my order?').expect(200);
    await eventually(() => expect(avaya.sends).toHaveLength(1), 10_000);
    // The try does not wait for the commit that stores the delivery; the copy is taken once it holds it.
    await first.app.store.commit();
    cpSync(join(dir, 'data'), join(crashed, 'data'), { recursive: true });
    crashLeftovers(join(crashed, 'data'));
    await first.close(true);
    gateways.splice(0);
    avaya.sends.length = 0;
    avaya.accepted.length = 0;

    const second = await startGateway(bridgeConfig(twilio, avaya), { dir: crashed, clock });
    gateways.push(second);
    advance(0);
    await settle(second.app);
    // Not before the timer is due: a live process could still be in that try.
    expect(avaya.sends).toHaveLength(0);
    advance(2 * 60_000 + 1_000);
    await eventually(() => {
      advance(0);
      expect(avaya.accepted).toHaveLength(1);
    }, 10_000);
    for (let i = 0; i < 3; i += 1) {
      advance(2 * 60_000 + 1_000);
      await settle(second.app);
    }
    expect(avaya.sends).toHaveLength(1);
    expect((avaya.accepted[0] as { body: { text: string } }).body.text).toBe('Where is my order?');
  });
});
