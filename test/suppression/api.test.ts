/**
 * `/v1/suppressions`: operators list, add and remove entries, with scopes and the house's 400s;
 * an entry added here skips sends like a STOP does, and outlives the user's START.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SuppressionEntry } from '../../src/model.js';
import { API_KEY, READ_KEY, startGateway, type TestGateway } from '../helpers/gateway.js';
import { A_FROM, B_FROM, USER, WA_FROM, done, entries, inbound, outline, send, suppressionConfig } from './helpers.js';

let gw: TestGateway;
beforeEach(async () => {
  gw = await startGateway(suppressionConfig());
});
afterEach(async () => {
  await gw.close();
});

const add = (body: unknown, key = API_KEY) => gw.request.post('/v1/suppressions').set('x-api-key', key).send(body as object);
const one = (channel: string, sender: string, address: string) => `/v1/suppressions/${[channel, sender, address].map(encodeURIComponent).join('/')}`;

function expectBadRequest(res: { status: number; body: Record<string, unknown> }, message: RegExp): void {
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ error: 'Bad Request', code: 'validation_failed' });
  expect(res.body.message).toMatch(message);
}

describe('/v1/suppressions', () => {
  it('adds (201, then 200 for the same entry), reads one, lists, and deletes (204, then 404)', async () => {
    const created = await add({ channel: 'mms', sender: A_FROM, address: USER, note: 'asked by phone' }).expect(201);
    expect(created.body).toMatchObject({ channel: 'sms', sender: A_FROM, address: USER, source: 'api', detail: 'app: asked by phone' });
    expect(created.headers.location).toBe(one('sms', A_FROM, USER));
    const again = await add({ channel: 'sms', sender: A_FROM, address: USER }).expect(200);
    expect(again.body).toEqual(created.body);

    expect((await gw.request.get(created.headers.location).set('x-api-key', READ_KEY).expect(200)).body).toEqual(created.body);
    // The sender can be named by the instance that sends from it.
    const byProvider = await add({ channel: 'whatsapp', provider: 'wa', address: `whatsapp:${USER}` }).expect(201);
    expect(byProvider.body).toMatchObject({ channel: 'whatsapp', sender: WA_FROM, address: USER });
    expect((await entries(gw)).map((e) => e.channel).sort()).toEqual(['sms', 'whatsapp']);

    await gw.request.delete(created.headers.location).set('x-api-key', API_KEY).expect(204);
    await gw.request.delete(created.headers.location).set('x-api-key', API_KEY).expect(404);
    await gw.request.get(created.headers.location).set('x-api-key', API_KEY).expect(404);
    expect((await entries(gw)).map((e) => e.channel)).toEqual(['whatsapp']);
  });

  it('an API entry skips the step, outlives the user\'s START, and ends with DELETE', async () => {
    await add({ channel: 'sms', provider: 'sms-a', address: USER, note: 'legal hold' }).expect(201);
    const skipped = await done(gw, await send(gw, 'sms-a'));
    expect(outline(skipped).sent).toEqual(['email']);
    expect(outline(skipped).skipped[0]).toMatch(/^suppressed: added through the API 20.* \(app: legal hold\)$/);

    await inbound(gw, 'sms-a', 'START');
    expect((await entries(gw)).map((e) => e.source)).toEqual(['api']);
    await gw.request.delete(one('sms', A_FROM, USER)).set('x-api-key', API_KEY).expect(204);
    expect(outline(await done(gw, await send(gw, 'sms-a'))).sent).toEqual(['sms']);
  });

  it('filters by channel, sender and address, and pages newest first with a cursor', async () => {
    for (let i = 0; i < 5; i += 1) await add({ channel: 'sms', sender: i % 2 ? A_FROM : B_FROM, address: `+1555765000${i}` }).expect(201);
    await add({ channel: 'email', sender: 'alerts@example.com', address: 'User@Example.com' }).expect(201);

    expect((await entries(gw, `?sender=${encodeURIComponent(A_FROM)}`)).map((e) => e.address).sort()).toEqual(['+15557650001', '+15557650003']);
    expect((await entries(gw, '?channel=email')).map((e) => e.address)).toEqual(['user@example.com']);
    expect((await entries(gw, '?address=%2B15557650004')).map((e) => e.sender)).toEqual([B_FROM]);
    // mms names the same list as sms.
    expect(await entries(gw, '?channel=mms')).toHaveLength(5);

    const seen: SuppressionEntry[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await gw.request.get(`/v1/suppressions?limit=2${cursor ? `&cursor=${cursor}` : ''}`).set('x-api-key', READ_KEY).expect(200);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(6);
    expect(new Set(seen.map((e) => `${e.channel}|${e.address}`)).size).toBe(6);
    expect(seen.map((e) => e.at)).toEqual([...seen.map((e) => e.at)].sort().reverse());
  });

  it('needs a key (401), the admin scope to change (403), and read to look', async () => {
    const body = { channel: 'sms', sender: A_FROM, address: USER };
    expect((await gw.request.get('/v1/suppressions')).status).toBe(401);
    expect((await gw.request.post('/v1/suppressions').send(body)).status).toBe(401);
    const forbidden = await add(body, READ_KEY);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('forbidden');
    await add(body).expect(201);
    expect((await gw.request.delete(one('sms', A_FROM, USER)).set('x-api-key', READ_KEY)).status).toBe(403);
    expect((await gw.request.delete(one('sms', A_FROM, USER))).status).toBe(401);
    await gw.request.get(one('sms', A_FROM, USER)).set('x-api-key', READ_KEY).expect(200);
    expect(await entries(gw)).toHaveLength(1);
  });

  it('answers bad input with 400 in the house shape, and stores nothing', async () => {
    expectBadRequest(await add({ sender: A_FROM, address: USER }), /missing required property "channel"/);
    expectBadRequest(await add({ channel: 'fax', sender: A_FROM, address: USER }), /channel/);
    expectBadRequest(await add({ channel: 'sms', sender: A_FROM, address: 'not-a-number' }), /address must be an E\.164 number/);
    expectBadRequest(await add({ channel: 'email', sender: 'a@example.com', address: '+15557654321' }), /email address/);
    expectBadRequest(await add({ channel: 'sms', address: USER }), /exactly one of sender and provider/);
    expectBadRequest(await add({ channel: 'sms', sender: A_FROM, provider: 'sms-a', address: USER }), /exactly one of sender and provider/);
    expectBadRequest(await add({ channel: 'sms', provider: 'nope', address: USER }), /unknown provider "nope"/);
    expectBadRequest(await add({ channel: 'sms', sender: A_FROM, address: USER, extra: 1 }), /unknown property "extra"/);
    expectBadRequest(await add({ channel: 'sms', sender: '', address: USER }), /sender/);
    expectBadRequest(await add(['sms']), /JSON object/);
    const notJson = await gw.request.post('/v1/suppressions').set('x-api-key', API_KEY).set('content-type', 'application/json').send('{"channel":');
    expect([notJson.status, notJson.body.code]).toEqual([400, 'invalid_json']);

    const get = (query: string) => gw.request.get(`/v1/suppressions${query}`).set('x-api-key', API_KEY);
    expectBadRequest(await get('?limit=0'), /limit/);
    expectBadRequest(await get('?limit=abc'), /limit/);
    expectBadRequest(await get('?channel=fax'), /channel must be one of/);
    expectBadRequest(await get('?cursor=bm90LWEtY3Vyc29y'), /cursor/);
    expectBadRequest(await get('?sender=a&sender=b'), /repeated/);
    expectBadRequest(await gw.request.delete(one('fax', A_FROM, USER)).set('x-api-key', API_KEY), /channel must be one of/);
    expectBadRequest(await gw.request.delete(one('sms', A_FROM, 'abc')).set('x-api-key', API_KEY), /E\.164/);
    expect(await entries(gw)).toEqual([]);
  });
});
