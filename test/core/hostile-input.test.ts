import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCallbacks } from '../../plugins/bandwidth/webhooks.js';
import { API_KEY, READ_KEY, configText, startGateway, type TestGateway } from '../helpers/gateway.js';

const CALLBACK_SECRET = 'callback-secret-0123456789';

const YAML = configText(`
providers:
  sms: { plugin: mock, channels: [sms], outcome: none, webhookToken: "mock-hook-token-1" }
routes:
  default:
    steps:
      - { channel: sms, providers: [sms], until: delivered, within: 5m }
`);

const errorShape = { error: expect.any(String), code: expect.any(String), message: expect.any(String) };

describe('hostile input over HTTP (issue 6: 4, 20, 21, 22, 24)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(YAML);
  });
  afterAll(() => gw.close());

  const body = (extra: Record<string, unknown> = {}) => ({ route: 'default', to: { sms: '+15551234567' }, content: { text: 'hi' }, ...extra });
  const post = () => gw.request.post('/v1/messages').set('x-api-key', API_KEY);

  describe('prototype keys meet no table', () => {
    it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('POST /webhooks/<instance>/%s is a 404, without auth', async (kind) => {
      const res = await gw.request.post(`/webhooks/sms/${kind}`).send({ messageId: 'x', status: 'sent' });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ ...errorShape, code: 'not_found' });
    });

    it.each(['constructor', '__proto__', 'toString'])('POST /webhooks/%s/status (as an instance) is a 404', async (instance) => {
      const res = await gw.request.post(`/webhooks/${instance}/status`).send({});
      expect(res.status).toBe(404);
    });

    it.each(['__proto__', 'constructor', 'toString', 'valueOf'])('route "%s" is an unknown route (400)', async (route) => {
      const res = await post().send(body({ route }));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ ...errorShape, code: 'validation_failed' });
    });

    it('a Bandwidth event of type "toString" is skipped, not parked as a status', () => {
      const result = parseCallbacks([{ type: 'toString', time: '2026-01-01T00:00:00Z', message: { id: 'm-1' } }]);
      expect(result).toEqual({ ok: true, events: [] });
    });
  });

  describe('the send body is closed and bounded', () => {
    it('callbackUrl that no URL parser accepts is a 400, not a 500', async () => {
      const res = await post().send(body({ callbackUrl: 'http://999.999.999.999/x' }));
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    });

    it('unknown keys under content.channels.<channel> are refused', async () => {
      const res = await post().send(body({ content: { text: 'hi', channels: { sms: { text: 'x', junk: 1 } } } }));
      expect(res.status).toBe(400);
      expect(res.body.message).toContain('junk');
    });

    it('a 6,000-deep array is a 400 at validation, and the store keeps accepting afterwards', async () => {
      const deep = `${'['.repeat(6000)}${']'.repeat(6000)}`;
      const raw = `{"route":"default","to":{"sms":"+15551234567"},"content":{"text":"hi","channels":{"sms":{"text":"x","nested":${deep}}}}}`;
      const res = await post().set('content-type', 'application/json').send(raw);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      const ok = await post().send(body()).expect(202);
      await gw.request.get(`/v1/messages/${ok.body.id}`).set('x-api-key', API_KEY).expect(200);
    });

    it.each([
      ['text over 64 KiB', { content: { text: 'x'.repeat(65_537) } }],
      ['too many tags', { tags: Object.fromEntries(Array.from({ length: 21 }, (_v, i) => [`t${i}`, 'v'])) }],
      ['a tag name too long', { tags: { ['k'.repeat(65)]: 'v' } }],
      ['too many template variables', { content: { template: { name: 't', variables: Array.from({ length: 101 }, () => 'v') } } }],
      ['a template variable too long', { content: { template: { name: 't', variables: ['v'.repeat(1025)] } } }],
      ['a media URL that does not parse', { content: { text: 'x', media: ['http://999.999.999.999/a.png'] } }],
    ])('%s is a 400', async (_name, extra) => {
      const res = await post().send(body(extra));
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    });
  });

  describe('HTTP semantics', () => {
    it.each([
      ['text/plain', 'route=default'],
      ['application/x-www-form-urlencoded', 'route=default&content=hi'],
    ])('a %s body to POST /v1/messages is a 415', async (type, raw) => {
      const res = await post().set('content-type', type).send(raw);
      expect(res.status).toBe(415);
      expect(res.body).toMatchObject({ ...errorShape, code: 'unsupported_media_type' });
    });

    it('a text/plain body to POST /-/reload is a 415; without a body it reloads', async () => {
      const res = await gw.request.post('/-/reload').set('x-api-key', API_KEY).set('content-type', 'text/plain').send('reload please');
      expect(res.status).toBe(415);
      expect(res.body.code).toBe('unsupported_media_type');
      await gw.request.post('/-/reload').set('x-api-key', API_KEY).expect(200);
    });

    it('webhooks keep taking the bodies providers send (form and JSON)', async () => {
      const json = await gw.request.post('/webhooks/sms/inbound').set('x-mock-token', 'mock-hook-token-1').send({ from: '+15550000002', to: '+15550000001', text: 'a' });
      expect(json.status).toBe(200);
      const form = await gw.request.post('/webhooks/sms/inbound').set('x-mock-token', 'mock-hook-token-1').type('form').send('from=%2B15550000002&to=%2B15550000001&text=b');
      expect(form.status).toBe(200);
    });

    it('405 answers carry Allow', async () => {
      const res = await gw.request.delete('/v1/messages').set('x-api-key', API_KEY);
      expect(res.status).toBe(405);
      expect(res.body).toMatchObject({ ...errorShape, code: 'method_not_allowed' });
      expect(res.headers.allow?.split(/,\s*/).sort()).toEqual(['GET', 'HEAD', 'POST']);
      const reload = await gw.request.get('/-/reload').set('x-api-key', API_KEY);
      expect(reload.status).toBe(405);
      expect(reload.headers.allow).toBe('POST');
    });

    it('an unknown path is a 404 without Allow, whatever the method', async () => {
      const res = await gw.request.delete('/v2/nothing');
      expect(res.status).toBe(404);
      expect(res.headers.allow).toBeUndefined();
    });

    it('the API key is checked before a large body is read: 401, not 413', async () => {
      const big = JSON.stringify(body({ content: { text: 'x'.repeat(3_000_000) } }));
      const res = await gw.request.post('/v1/messages').set('content-type', 'application/json').send(big);
      expect(res.status).toBe(401);
      const admin = await gw.request.post('/-/reload').set('x-api-key', READ_KEY).set('content-type', 'application/json').send(big);
      expect(admin.status).toBe(403);
    });

    it('a webhook for an unknown instance is a 404 before its body is parsed', async () => {
      const res = await gw.request.post('/webhooks/nobody/status').set('content-type', 'application/json').send('{"not json');
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
    });
  });

  describe('dead letters', () => {
    const seed = (n: number) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i += 1) {
        // ULIDs sort by time: these are 1 ms apart, oldest first.
        const id = `01J0000000000000000000000${'ABCDEFGHJK'[i]}`;
        ids.push(id);
        gw.app.store.deadLetters.set(id, {
          id, kind: 'callback', reason: 'HTTP 500 after 3 tries', at: new Date().toISOString(),
          job: { id, messageId: '01J00000000000000000000000', url: 'https://hooks.example.com/x', body: '{}', tries: 3 },
        });
      }
      return ids;
    };

    it('GET honours limit and pages with a cursor, newest first', async () => {
      const ids = seed(5);
      const first = await gw.request.get('/v1/dead-letters?limit=2').set('x-api-key', API_KEY).expect(200);
      expect(first.body.items.map((d: { id: string }) => d.id)).toEqual([ids[4], ids[3]]);
      const second = await gw.request.get(`/v1/dead-letters?limit=2&cursor=${first.body.nextCursor}`).set('x-api-key', API_KEY).expect(200);
      expect(second.body.items.map((d: { id: string }) => d.id)).toEqual([ids[2], ids[1]]);
      const last = await gw.request.get(`/v1/dead-letters?limit=2&cursor=${second.body.nextCursor}`).set('x-api-key', API_KEY).expect(200);
      expect(last.body.items.map((d: { id: string }) => d.id)).toEqual([ids[0]]);
      expect(last.body.nextCursor).toBeUndefined();
      await gw.request.get('/v1/dead-letters?limit=0').set('x-api-key', API_KEY).expect(400);
    });

    it('DELETE /v1/dead-letters/:id is admin-only, 204 then 404', async () => {
      const [id] = seed(1);
      await gw.request.delete(`/v1/dead-letters/${id}`).set('x-api-key', READ_KEY).expect(403);
      const res = await gw.request.delete(`/v1/dead-letters/${id}`).set('x-api-key', API_KEY);
      expect(res.status).toBe(204);
      expect(gw.app.store.deadLetters.get(id)).toBeUndefined();
      const again = await gw.request.delete(`/v1/dead-letters/${id}`).set('x-api-key', API_KEY);
      expect(again.status).toBe(404);
      expect(again.body.code).toBe('not_found');
      expect((await gw.request.delete('/v1/dead-letters/__proto__').set('x-api-key', API_KEY)).status).toBe(404);
      const metrics = (await gw.request.get('/metrics')).text;
      expect(metrics).toMatch(new RegExp(`switchboard_dead_letters ${gw.app.store.deadLetters.size}\\b`));
    });
  });

  it('a refused reload answers its errors with secrets masked', async () => {
    const good = YAML;
    // A pasted secret that became a key: the schema error names it.
    writeFileSync(gw.file, `${YAML}\n"${CALLBACK_SECRET}": 1\n`);
    try {
      const res = await gw.request.post('/-/reload').set('x-api-key', API_KEY);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('config_invalid');
      const text = JSON.stringify(res.body);
      expect(text).not.toContain(CALLBACK_SECRET);
      expect(text).toContain('***');
    } finally {
      writeFileSync(gw.file, good);
    }
  });
});
