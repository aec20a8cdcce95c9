import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, READ_KEY, configText, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';

// WhatsApp that never answers, then SMS that delivers: what the consent stack's users map sendWhatsApp onto.
const ROUTES = `
providers:
  wa: { plugin: mock, channels: [whatsapp], outcome: none }
  sms: { plugin: mock, channels: [sms], outcome: delivered, after: 0s }
routes:
  notify:
    steps:
      - { channel: whatsapp, providers: [wa], until: delivered, within: 50ms }
      - { channel: sms, providers: [sms], until: delivered, within: 1m }
  text:
    steps:
      - { channel: sms, providers: [sms], until: delivered, within: 1m }
`;
const MAPPED = configText(ROUTES, 'compat: { sendSMS: { route: text }, sendWhatsApp: { route: notify } }');
const UNMAPPED = configText(ROUTES);

const NUMBER = '+14155550100';
const errorShape = { error: expect.any(String), code: expect.any(String), message: expect.any(String) };

describe('POST /v1/sendSMS and /v1/sendWhatsApp (issue 8: 5)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(MAPPED);
  });
  afterAll(() => gw.close());

  const post = (api: string) => gw.request.post(`/v1/${api}`).set('x-api-key', API_KEY);
  const get = (id: string) => gw.request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY).expect(200);

  it('sendSMS: 202 {id, status} with Location, on the mapped route, addressed for SMS only', async () => {
    const res = await post('sendSMS').send({ destination_number: NUMBER, message_body: 'hello' }).expect(202);
    expect(res.body).toEqual({ id: expect.any(String), status: 'accepted' });
    expect(res.headers.location).toBe(`/v1/messages/${res.body.id}`);
    const message = await eventually(async () => {
      const m = (await get(res.body.id)).body;
      expect(m.status).toBe('delivered');
      return m;
    });
    expect(message).toMatchObject({ route: 'text', to: { sms: NUMBER }, content: { text: 'hello' } });
    expect(message.to.whatsapp).toBeUndefined();
  });

  it('sendWhatsApp: the number is the phone, so the route\'s SMS fallback reaches the same person', async () => {
    const res = await post('sendWhatsApp').send({ destination_number: NUMBER, message_body: 'hola' }).expect(202);
    const message = await eventually(async () => {
      const m = (await get(res.body.id)).body;
      expect(m.status).toBe('delivered');
      return m;
    });
    expect(message).toMatchObject({ route: 'notify', to: { whatsapp: NUMBER, sms: NUMBER }, content: { text: 'hola' } });
    expect(message.attempts.map((a: { channel: string }) => a.channel)).toEqual(['whatsapp', 'sms']);
  });

  it('x-api-key and Authorization: Bearer both work; a missing or wrong key is a 401, a read-only key a 403', async () => {
    const body = { destination_number: NUMBER, message_body: 'hi' };
    await gw.request.post('/v1/sendSMS').set('authorization', `Bearer ${API_KEY}`).send(body).expect(202);
    for (const api of ['sendSMS', 'sendWhatsApp']) {
      const none = await gw.request.post(`/v1/${api}`).send(body).expect(401);
      expect(none.body).toMatchObject({ ...errorShape, code: 'unauthorized' });
      await gw.request.post(`/v1/${api}`).set('x-api-key', 'not-a-key-0123456789').send(body).expect(401);
      const reader = await gw.request.post(`/v1/${api}`).set('x-api-key', READ_KEY).send(body).expect(403);
      expect(reader.body).toMatchObject({ ...errorShape, code: 'forbidden' });
    }
  });

  it('a caller without a key never has its body read: a bad body without a key is still a 401', async () => {
    await gw.request.post('/v1/sendSMS').set('content-type', 'application/json').send('{not json').expect(401);
  });

  describe('bad input is a 400 in the usual shape, and nothing is stored', () => {
    const longest = { sendSMS: 1600, sendWhatsApp: 4096 } as const;
    const cases: [string, (api: keyof typeof longest) => unknown][] = [
      ['missing destination_number', () => ({ message_body: 'hi' })],
      ['missing message_body', () => ({ destination_number: NUMBER })],
      ['a national number', () => ({ destination_number: '4155550100', message_body: 'hi' })],
      ['a number with spaces', () => ({ destination_number: '+1 415 555 0100', message_body: 'hi' })],
      ['a leading zero', () => ({ destination_number: '+0415555010', message_body: 'hi' })],
      ['too many digits', () => ({ destination_number: '+1415555010012345', message_body: 'hi' })],
      ['a WhatsApp-prefixed number', () => ({ destination_number: `whatsapp:${NUMBER}`, message_body: 'hi' })],
      ['a number as a JSON number', () => ({ destination_number: 14155550100, message_body: 'hi' })],
      ['an empty body text', () => ({ destination_number: NUMBER, message_body: '' })],
      ['a blank body text', () => ({ destination_number: NUMBER, message_body: ' \n\t ' })],
      ['a body text as an object', () => ({ destination_number: NUMBER, message_body: { text: 'hi' } })],
      ['a body text as null', () => ({ destination_number: NUMBER, message_body: null })],
      ['an oversized body text', (api) => ({ destination_number: NUMBER, message_body: 'x'.repeat(longest[api] + 1) })],
      ['an unknown field', () => ({ destination_number: NUMBER, message_body: 'hi', origination_number: '+15550000000' })],
      ['an array', () => [{ destination_number: NUMBER, message_body: 'hi' }]],
      ['a string', () => 'hello'],
    ];

    it.each(cases.flatMap(([name, body]) => (['sendSMS', 'sendWhatsApp'] as const).map((api) => [api, name, body] as const)))('%s: %s', async (api, _name, body) => {
      const before = (await gw.request.get('/v1/messages').set('x-api-key', API_KEY).expect(200)).body.items.length;
      // Sent as JSON text, so that an array or a bare string reaches validation (not the 415 of a form).
      const res = await post(api).set('content-type', 'application/json').send(JSON.stringify(body(api))).expect(400);
      expect(res.body).toMatchObject({ ...errorShape, code: 'validation_failed' });
      const after = (await gw.request.get('/v1/messages').set('x-api-key', API_KEY).expect(200)).body.items.length;
      expect(after).toBe(before);
    });

    it.each(['sendSMS', 'sendWhatsApp'] as const)('%s: the unknown field and the bad number are named', async (api) => {
      const res = await post(api).send({ destination_number: '555', message_body: 'hi', media_url: 'x' }).expect(400);
      expect(res.body.message).toContain('media_url');
      expect(res.body.message).toContain('/destination_number');
    });

    it.each([['sendSMS', 1600], ['sendWhatsApp', 4096]] as const)('%s: a body of exactly %i characters (emoji count once) is taken', async (api, n) => {
      await post(api).send({ destination_number: NUMBER, message_body: `${'x'.repeat(n - 1)}😀` }).expect(202);
    });

    it('invalid JSON is a 400, a form body a 415, no body a 400', async () => {
      const bad = await post('sendSMS').set('content-type', 'application/json').send('{"destination_number":').expect(400);
      expect(bad.body.code).toBe('invalid_json');
      const form = await post('sendSMS').type('form').send({ destination_number: NUMBER, message_body: 'hi' }).expect(415);
      expect(form.body.code).toBe('unsupported_media_type');
      const empty = await post('sendWhatsApp').expect(400);
      expect(empty.body.code).toBe('validation_failed');
    });

    it('GET is not allowed on the endpoints (405, not 404)', async () => {
      const res = await gw.request.get('/v1/sendSMS').set('x-api-key', API_KEY).expect(405);
      expect(res.body.code).toBe('method_not_allowed');
    });
  });

  it('Idempotency-Key: the same key and body give the same message; a different body is a 409', async () => {
    const key = `compat-${Date.now()}`;
    const body = { destination_number: NUMBER, message_body: 'once' };
    const first = await post('sendWhatsApp').set('Idempotency-Key', key).send(body).expect(202);
    const again = await post('sendWhatsApp').set('Idempotency-Key', key).send(body).expect(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await post('sendWhatsApp').set('Idempotency-Key', key).send({ ...body, message_body: 'twice' }).expect(409);
    expect(other.body.code).toBe('idempotency_conflict');
    // The same key on the other endpoint is another request (another route and address): a conflict too.
    await post('sendSMS').set('Idempotency-Key', key).send(body).expect(409);
    await post('sendSMS').set('Idempotency-Key', 'k'.repeat(256)).send(body).expect(400);
  });
});

describe('compat endpoints without a mapping', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(UNMAPPED);
  });
  afterAll(() => gw.close());

  const send = (api: string) => gw.request.post(`/v1/${api}`).set('x-api-key', API_KEY).send({ destination_number: NUMBER, message_body: 'hi' });

  it.each(['sendSMS', 'sendWhatsApp'])('%s is a 404 when compat does not map it, with or without a key', async (api) => {
    const res = await send(api).expect(404);
    expect(res.body).toMatchObject({ ...errorShape, code: 'not_found' });
    expect(res.body.message).toContain(`compat.${api}.route`);
    await gw.request.post(`/v1/${api}`).send({}).expect(404);
  });

  it('a reload that adds a mapping enables the endpoint at once; one that removes it disables it', async () => {
    writeFileSync(gw.file, configText(ROUTES, 'compat: { sendWhatsApp: { route: notify } }'));
    await gw.request.post('/-/reload').set('x-api-key', API_KEY).expect(200);
    const res = await send('sendWhatsApp').expect(202);
    expect((await gw.request.get(`/v1/messages/${res.body.id}`).set('x-api-key', API_KEY).expect(200)).body.route).toBe('notify');
    await send('sendSMS').expect(404);

    writeFileSync(gw.file, configText(ROUTES, 'compat: { sendSMS: { route: text } }'));
    await gw.request.post('/-/reload').set('x-api-key', API_KEY).expect(200);
    await send('sendWhatsApp').expect(404);
    await send('sendSMS').expect(202);
  });

  it('a mapping onto an unknown route is refused at reload, and the running mapping keeps serving', async () => {
    writeFileSync(gw.file, configText(ROUTES, 'compat: { sendSMS: { route: nowhere } }'));
    const refused = await gw.request.post('/-/reload').set('x-api-key', API_KEY).expect(400);
    expect(refused.body.details).toEqual([expect.stringMatching(/^gateway\.yaml:\d+:\d+: compat\.sendSMS: unknown route "nowhere"/)]);
    await send('sendSMS').expect(202);
  });
});
