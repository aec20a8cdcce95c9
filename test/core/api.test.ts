import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, READ_KEY, configText, eventually, settle, startGateway, type TestGateway } from '../helpers/gateway.js';

const YAML = configText(`
providers:
  sms: { plugin: mock, channels: [sms], outcome: delivered, after: 10ms, webhookToken: "mock-hook-token-1" }
  email: { plugin: mock, channels: [email], outcome: delivered, after: 10ms }
routes:
  default:
    steps:
      - { channel: sms, providers: [sms], until: delivered, within: 5s }
  mail:
    steps:
      - { channel: email, providers: [email], until: delivered, within: 5s }
`);

describe('REST API', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(YAML);
  });
  afterAll(() => gw.close());

  const body = (text = 'hi', route = 'default') => ({ route, to: { sms: '+15551234567', email: 'a@example.com' }, content: { text } });
  const post = () => gw.request.post('/v1/messages').set('x-api-key', API_KEY);

  it('accepts a message with 202 {id, status} and serves it with its attempts and history', async () => {
    const res = await post().send(body()).expect(202);
    expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9A-Z]{26}$/), status: 'accepted' });
    expect(res.headers.location).toBe(`/v1/messages/${res.body.id}`);
    const m = await eventually(async () => {
      const got = await gw.request.get(`/v1/messages/${res.body.id}`).set('authorization', `Bearer ${READ_KEY}`).expect(200);
      expect(got.body.status).toBe('delivered');
      return got.body;
    });
    expect(m.attempts).toHaveLength(1);
    expect(m.history.map((h: { event: string }) => h.event)).toEqual(expect.arrayContaining(['accepted', 'routing', 'attempt_sent', 'completed']));
  });

  it('Idempotency-Key: same key and body → same message, sent once; different body → 409', async () => {
    const key = `order-${Date.now()}`;
    const first = await post().set('Idempotency-Key', key).send(body('once')).expect(202);
    const again = await post().set('Idempotency-Key', key).send(body('once')).expect(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const conflict = await post().set('Idempotency-Key', key).send(body('twice')).expect(409);
    expect(conflict.body.code).toBe('idempotency_conflict');

    await settle(gw.app);
    const m = await gw.request.get(`/v1/messages/${first.body.id}`).set('x-api-key', API_KEY);
    expect(m.body.attempts).toHaveLength(1);
    const list = await gw.request.get('/v1/messages?limit=500').set('x-api-key', API_KEY);
    expect(list.body.items.filter((x: { content: { text: string } }) => x.content.text === 'once')).toHaveLength(1);
  });

  it('concurrent requests with one Idempotency-Key make one message', async () => {
    const key = `burst-${Date.now()}`;
    const results = await Promise.all(Array.from({ length: 8 }, () => post().set('Idempotency-Key', key).send(body('burst'))));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(results.every((r) => r.status === 202)).toBe(true);
  });

  it('lists with status and route filters and a cursor', async () => {
    for (let i = 0; i < 3; i += 1) await post().send(body(`mail ${i}`, 'mail')).expect(202);
    const page1 = await gw.request.get('/v1/messages?route=mail&limit=2').set('x-api-key', API_KEY).expect(200);
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.items.every((m: { route: string }) => m.route === 'mail')).toBe(true);
    const page2 = await gw.request.get(`/v1/messages?route=mail&limit=2&cursor=${page1.body.nextCursor}`).set('x-api-key', API_KEY).expect(200);
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.nextCursor).toBeUndefined();
    const ids = [...page1.body.items, ...page2.body.items].map((m: { id: string }) => m.id);
    expect([...ids].sort().reverse()).toEqual(ids);
    const future = await gw.request.get(`/v1/messages?since=${new Date(Date.now() + 60_000).toISOString()}`).set('x-api-key', API_KEY).expect(200);
    expect(future.body.items).toEqual([]);
    await eventually(async () => {
      const done = await gw.request.get('/v1/messages?route=mail&status=delivered').set('x-api-key', API_KEY).expect(200);
      expect(done.body.items).toHaveLength(3);
    });
  });

  it('stores inbound messages once and lists them', async () => {
    const inbound = { from: '+15559870001', to: '+15550000001', text: 'hello there', id: 'in-1' };
    await gw.request.post('/webhooks/sms/inbound').set('x-mock-token', 'mock-hook-token-1').send(inbound).expect(200);
    await gw.request.post('/webhooks/sms/inbound').set('x-mock-token', 'mock-hook-token-1').send(inbound).expect(200);
    await gw.request.post('/webhooks/sms/inbound').send(inbound).expect(401);
    const list = await gw.request.get('/v1/inbound?instance=sms&channel=sms').set('x-api-key', READ_KEY).expect(200);
    expect(list.body.items).toEqual([expect.objectContaining({ instance: 'sms', channel: 'sms', from: '+15559870001', text: 'hello there', providerMessageId: 'in-1' })]);
    const metrics = (await gw.request.get('/metrics')).text;
    expect(metrics).toContain('switchboard_webhooks_total{provider="sms",kind="inbound",result="duplicate"} 1');
    expect(metrics).toContain('switchboard_webhooks_total{provider="sms",kind="inbound",result="rejected_credentials"} 1');
  });

  describe('bad input is a 4xx with one error shape', () => {
    const cases: [string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, string][] = [
      ['no API key', () => gw.request.post('/v1/messages').send(body()), 401, 'unauthorized'],
      ['wrong API key', () => gw.request.post('/v1/messages').set('x-api-key', 'nope-nope-nope').send(body()), 401, 'unauthorized'],
      ['missing scope', () => gw.request.post('/v1/messages').set('x-api-key', READ_KEY).send(body()), 403, 'forbidden'],
      ['malformed JSON', () => post().set('content-type', 'application/json').send('{"route": '), 400, 'invalid_json'],
      ['a JSON array', () => post().send([1, 2]), 400, 'validation_failed'],
      ['wrong types', () => post().send({ route: 5, to: { sms: 'not-a-number' }, content: { text: 1 } }), 400, 'validation_failed'],
      ['unknown field', () => post().send({ ...body(), priority: 'high' }), 400, 'validation_failed'],
      ['no address', () => post().send({ route: 'default', to: {}, content: { text: 'x' } }), 400, 'validation_failed'],
      ['unknown route', () => post().send(body('x', 'nope')), 400, 'validation_failed'],
      ['huge body', () => post().set('content-type', 'application/json').send(JSON.stringify({ ...body(), content: { text: 'x'.repeat(2_000_000) } })), 413, 'payload_too_large'],
      ['unknown route path', () => gw.request.get('/v2/everything').set('x-api-key', API_KEY), 404, 'not_found'],
      ['wrong method', () => gw.request.delete('/v1/messages').set('x-api-key', API_KEY), 405, 'method_not_allowed'],
      ['malformed id', () => gw.request.get('/v1/messages/../../etc/passwd').set('x-api-key', API_KEY), 404, 'not_found'],
      ['unknown id', () => gw.request.get('/v1/messages/01ARZ3NDEKTSV4RRFFQ69G5FAV').set('x-api-key', API_KEY), 404, 'not_found'],
      ['bad limit', () => gw.request.get('/v1/messages?limit=100000').set('x-api-key', API_KEY), 400, 'validation_failed'],
      ['bad cursor', () => gw.request.get('/v1/messages?cursor=xyz').set('x-api-key', API_KEY), 400, 'validation_failed'],
      ['bad since', () => gw.request.get('/v1/messages?since=yesterday').set('x-api-key', API_KEY), 400, 'validation_failed'],
      ['repeated param', () => gw.request.get('/v1/messages?status=sent&status=read').set('x-api-key', API_KEY), 400, 'validation_failed'],
      ['unknown webhook instance', () => gw.request.post('/webhooks/nobody/status').send({}), 404, 'not_found'],
      ['unknown webhook kind', () => gw.request.post('/webhooks/sms/everything').send({}), 404, 'not_found'],
      ['malformed webhook body', () => gw.request.post('/webhooks/sms/status').set('x-mock-token', 'mock-hook-token-1').send({ status: 'sent' }), 400, 'bad_request'],
      ['too long idempotency key', () => post().set('Idempotency-Key', 'k'.repeat(300)).send(body()), 400, 'validation_failed'],
    ];
    it.each(cases)('%s', async (_name, call, status, code) => {
      const res = await call();
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ code, error: expect.any(String), message: expect.any(String) });
    });

    it('the gateway still serves after all of them', async () => {
      await post().send(body()).expect(202);
      await gw.request.get('/-/healthy').expect(200);
    });
  });

  it('GET /-/config masks secrets; logs never show them', async () => {
    const res = await gw.request.get('/-/config').set('x-api-key', API_KEY).expect(200);
    const text = JSON.stringify(res.body);
    for (const secret of [API_KEY, READ_KEY, 'callback-secret-0123456789', 'mock-hook-token-1']) expect(text).not.toContain(secret);
    expect(res.body.api.keys[0].key).toBe('***');
    expect(res.body.providers.sms.webhookToken).toBe('***');
    gw.app.logger.info({ header: `Bearer ${API_KEY}` }, `a line with ${READ_KEY} inside`);
    const logs = gw.logs.join('');
    expect(logs).toContain('a line with *** inside');
    for (const secret of [API_KEY, READ_KEY, 'callback-secret-0123456789', 'mock-hook-token-1']) expect(logs).not.toContain(secret);
  });

  it('metrics carry no phone numbers or email addresses', async () => {
    const metrics = (await gw.request.get('/metrics')).text;
    expect(metrics).not.toMatch(/\+1555/);
    expect(metrics).not.toMatch(/@example\.com/);
  });
});
