import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAvayaFake, type AvayaFake } from '../fakes/avaya-fake.js';
import { killDaemonsAfterEach, spawnDaemon, type Daemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/gateway.js';
import { BUSINESS, CUSTOMER, exampleConfig, sampleEnv } from './setup.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The durability promise of the bridge, through the connector's path and a real process: once
 * `/callbacks/twilio/sms` answered 200, a `kill -9` before Avaya took the message loses nothing.
 */
describe('kill -9 between the connector acknowledging a customer SMS and Avaya taking it', () => {
  const { daemons, cleanups } = killDaemonsAfterEach();

  async function setup(): Promise<{ avaya: AvayaFake; file: string; start: () => Promise<Daemon> }> {
    const avaya = await startAvayaFake();
    const dir = mkdtempSync(join(tmpdir(), 'sb-connector-kill-'));
    cleanups.push(() => avaya.close(), () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'gateway.yaml');
    // Retries close together, so a restart finds the delivery due (or nearly) rather than minutes away.
    writeFileSync(file, exampleConfig({ mock: true, sections: { log: { level: 'info' }, retry: { initial: '100ms', max: '500ms', attempts: 3 } } }));
    const start = async () => {
      const d = await spawnDaemon(file, sampleEnv(avaya), 30_000);
      daemons.push(d);
      return d;
    };
    return { avaya, file, start };
  }

  async function customerSms(d: Daemon, text: string): Promise<void> {
    const res = await fetch(`${d.url}/callbacks/twilio/sms`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ Body: text, To: BUSINESS, From: CUSTOMER }).toString(),
    });
    expect(res.status).toBe(200);
  }

  async function kill(d: Daemon): Promise<void> {
    d.child.kill('SIGKILL');
    await d.exited;
  }

  it('with the Send Message call hanging at the kill: the restarted daemon delivers it', async () => {
    const { avaya, start } = await setup();
    avaya.failNext({ delayMs: 3000 });
    const first = await start();
    await customerSms(first, 'I need help');
    await eventually(() => expect(avaya.sends).toHaveLength(1), 15_000);
    const hungSince = performance.now();
    // The queued delivery's commit may race its first try by a few milliseconds; give it time to land.
    await sleep(300);
    await kill(first);
    // The hung call wakes to a revoked token: the killed process's call can never succeed.
    avaya.revokeTokens();
    expect(avaya.accepted).toHaveLength(0);

    const second = await start();
    await eventually(() => expect(avaya.accepted).toHaveLength(1), 20_000);
    expect(avaya.accepted[0]).toMatchObject({ headers: { from: CUSTOMER, to: [BUSINESS] }, body: { text: 'I need help' } });
    expect(avaya.sends.at(-1)!.token).not.toBe(avaya.sends[0].token);
    // Once the hung call has woken and been refused, still one message at Avaya.
    await sleep(Math.max(0, 3500 - (performance.now() - hungSince)));
    expect(avaya.accepted).toHaveLength(1);
    expect(second.lines.join('\n')).not.toMatch(/"level":"error"/);
  }, 90_000);

  it('with Avaya failing at the kill: the stored retry delivers it after the restart', async () => {
    const { avaya, start } = await setup();
    avaya.failNext(503, 1000);
    const first = await start();
    await customerSms(first, 'anyone there?');
    await eventually(() => expect(avaya.sends.length).toBeGreaterThanOrEqual(2), 15_000);
    await kill(first);
    avaya.clearFailures();
    expect(avaya.accepted).toHaveLength(0);

    await start();
    await eventually(() => expect(avaya.accepted).toHaveLength(1), 20_000);
    expect(avaya.accepted[0]).toMatchObject({ body: { text: 'anyone there?' } });
  }, 90_000);
});
