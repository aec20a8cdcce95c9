/**
 * The consent flow on PostgreSQL, on real time: two gateways on one database share windows, holds
 * and opt-ins (a hold armed at one is released by a reply reaching the other; one template for a
 * user whoever sends), and a restart finds its held messages, expiring at start a hold that ran
 * out while it was down.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { createDatabase } from '../helpers/postgres.js';
import { consentConfig, get, optIns, own, reply, send, withBusiness } from './setup.js';

const yaml = consentConfig({ hold: '1m', strictHold: '2s', wa: 'outcome: delivered, after: 50ms' })
  .replace('store: { path: ./data }', 'store: { kind: postgres, url: "${env:DATABASE_URL}", lease: 2s }');

let db: { url: string; drop(): Promise<void> };
const running: TestGateway[] = [];

async function start(dir?: string): Promise<TestGateway> {
  const gw = await startGateway(yaml, { env: { DATABASE_URL: db.url }, dir });
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

describe('consent on PostgreSQL', () => {
  it('two gateways: one template for a user whoever sends, and a reply at the other releases every hold in order', { timeout: 60_000 }, async () => {
    const a = await start();
    const b = await start();
    const user = '+15552220001';
    const ids = [await send(a.request, user), await send(b.request, user), await send(a.request, user)];
    const held = await eventually(async () => {
      const ms = await Promise.all(ids.map((id) => get(a.request, id)));
      expect(ms.map((m) => m.status)).toEqual(['held', 'held', 'held']);
      return ms;
    }, 15_000);
    expect(held.flatMap(optIns)).toHaveLength(1);
    expect(await withBusiness(b.request, user)).toMatchObject({ held: 3, window: { open: false } });

    await reply(b.request, user, 'yes please');
    const released = await eventually(async () => {
      const ms = await Promise.all(ids.map((id) => get(a.request, id)));
      expect(ms.map((m) => m.status)).toEqual(['delivered', 'delivered', 'delivered']);
      return ms;
    }, 15_000);
    const sends = released.map((m) => own(m)[0]);
    expect(sends.every((s) => s.channel === 'whatsapp')).toBe(true);
    expect([...sends.map((s) => s.id)].sort()).toEqual(sends.map((s) => s.id));
    expect(await withBusiness(a.request, user)).toMatchObject({ held: 0, window: { open: true } });
    // Inside the window opened at B, a send at A goes at once.
    const next = await send(a.request, user);
    const m = await eventually(async () => {
      const got = await get(a.request, next);
      expect(got.status).toBe('delivered');
      return got;
    }, 15_000);
    expect(optIns(m)).toHaveLength(0);
  });

  it('a restart keeps held messages, expires at start a hold that ran out while down, and a reply then releases the rest', { timeout: 60_000 }, async () => {
    const first = await start();
    const user = '+15552220002';
    const waiting = await send(first.request, user);
    const strict = await send(first.request, user, { route: 'strict' });
    await eventually(async () => expect((await get(first.request, strict)).status).toBe('held'), 15_000);
    await eventually(async () => expect((await get(first.request, waiting)).status).toBe('held'), 15_000);
    running.splice(running.indexOf(first), 1);
    await first.close(true);
    await new Promise((r) => setTimeout(r, 2500));

    const second = await start(first.dir);
    await eventually(async () => expect((await get(second.request, strict)).status).toBe('expired'), 15_000);
    expect((await get(second.request, waiting)).status).toBe('held');
    expect(await withBusiness(second.request, user)).toMatchObject({ held: 1 });
    await reply(second.request, user);
    const m = await eventually(async () => {
      const got = await get(second.request, waiting);
      expect(got.status).toBe('delivered');
      return got;
    }, 15_000);
    expect(own(m).map((x) => x.channel)).toEqual(['whatsapp']);
  });
});
