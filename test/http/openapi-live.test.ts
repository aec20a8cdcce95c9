import type { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/http/openapi/document.js';
import { API_KEY, READ_KEY, configText, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { documentValidator, documentedAnswer, type OpenApiDoc } from '../helpers/openapi.js';

const HOOK_TOKEN = 'mock-hook-token-openapi';
const YAML = configText(`
providers:
  sms: { plugin: mock, channels: [sms], outcome: delivered, after: 0s, from: "+15550001111", webhookToken: "${HOOK_TOKEN}" }
  email: { plugin: mock, channels: [email], outcome: delivered, after: 0s }
  wa: { plugin: mock, channels: [whatsapp], outcome: delivered, after: 0s, from: "+15550002222" }
routes:
  default:
    steps:
      - { channel: sms, providers: [sms], until: delivered, within: 1m }
`, 'compat: { sendSMS: { route: default }, omnichannel: { providers: { sms: sms, email: email } } }');

const doc = openApiDocument() as OpenApiDoc;
const at = documentValidator(doc);
type Op = { security: Record<string, string[]>[]; description?: string; parameters?: { in: string; name: string; example?: unknown }[] };

/** The answer is one the document lists for this operation, and its body has the documented shape. */
function conforms(method: string, template: string, res: Response): void {
  const route = `${method} ${template} → ${res.status}`;
  const { at: where, answer } = documentedAnswer(doc, method, template, res.status);
  const content = answer.content as Record<string, unknown> | undefined;
  if (!content) {
    expect(res.text ?? '', route).toBe('');
    return;
  }
  if (content['application/json'] && /json/.test(res.type)) {
    const validate = at([...where, 'content', 'application/json', 'schema']);
    expect(validate(res.body) ? [] : validate.errors, route).toEqual([]);
  } else {
    expect(Object.keys(content).some((type) => type === '*/*' || type === res.type), `${route}: ${res.type} not documented`).toBe(true);
  }
}

describe('OpenAPI document against the running API', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(YAML);
  });
  afterAll(() => gw.close());

  const key = (r: ReturnType<TestGateway['request']['get']>, k = API_KEY) => r.set('x-api-key', k);

  it('answers every step of a scenario with a documented status and shape', async () => {
    const sent = await key(gw.request.post('/v1/messages')).send({ route: 'default', to: { sms: '+15551234567' }, content: { text: 'hi' }, tags: { order: 'A-1' } });
    conforms('post', '/v1/messages', sent);
    expect(sent.status).toBe(202);
    const id = sent.body.id as string;
    const done = await eventually(async () => {
      const got = await key(gw.request.get(`/v1/messages/${id}`), READ_KEY).expect(200);
      expect(got.body.status).toBe('delivered');
      return got;
    });
    conforms('get', '/v1/messages/{id}', done);
    await key(gw.request.post('/v1/messages')).send({ route: 'default', to: { sms: '+15551234568' }, content: { text: 'two' } }).expect(202);
    const page = await key(gw.request.get('/v1/messages?limit=1'), READ_KEY).expect(200);
    expect(page.body.nextCursor).toBeDefined();
    conforms('get', '/v1/messages', page);

    conforms('post', '/v1/messages/{id}/cancel', await key(gw.request.post(`/v1/messages/${id}/cancel`)).expect(409));
    conforms('get', '/v1/messages/{id}', await key(gw.request.get('/v1/messages/01JDQ4ZK8M3V6T9XW2B5N7R0CE')).expect(404));
    conforms('post', '/v1/messages', await key(gw.request.post('/v1/messages')).send({ route: 'default' }).expect(400));
    conforms('post', '/v1/messages', await key(gw.request.post('/v1/messages')).set('content-type', 'text/plain').send('hi').expect(415));
    conforms('post', '/v1/messages', await gw.request.post('/v1/messages').send({}).expect(401));
    conforms('post', '/v1/messages', await key(gw.request.post('/v1/messages'), READ_KEY).send({}).expect(403));

    const inbound = { from: '+15551234567', to: '+15550001111', text: 'hello' };
    conforms('post', '/webhooks/{instance}/{kind}', await gw.request.post('/webhooks/sms/inbound').set('x-mock-token', HOOK_TOKEN).send(inbound).expect(200));
    conforms('post', '/webhooks/{instance}/{kind}', await gw.request.post('/webhooks/sms/inbound').send(inbound).expect(401));
    conforms('get', '/v1/inbound', await eventually(async () => {
      const got = await key(gw.request.get('/v1/inbound?channel=sms'), READ_KEY).expect(200);
      expect(got.body.items).toHaveLength(1);
      return got;
    }));

    const entry = { channel: 'sms', sender: '+15550001111', address: '+15557654321', note: 'asked to stop' };
    conforms('post', '/v1/suppressions', await key(gw.request.post('/v1/suppressions')).send(entry).expect(201));
    conforms('post', '/v1/suppressions', await key(gw.request.post('/v1/suppressions')).send({ ...entry, note: undefined, provider: 'sms', sender: undefined }).expect(200));
    const entryPath = '/v1/suppressions/sms/%2B15550001111/%2B15557654321';
    conforms('get', '/v1/suppressions/{channel}/{sender}/{address}', await key(gw.request.get(entryPath), READ_KEY).expect(200));
    conforms('get', '/v1/suppressions', await key(gw.request.get('/v1/suppressions?channel=sms'), READ_KEY).expect(200));
    conforms('delete', '/v1/suppressions/{channel}/{sender}/{address}', await key(gw.request.delete(entryPath)).expect(204));
    conforms('delete', '/v1/suppressions/{channel}/{sender}/{address}', await key(gw.request.delete(entryPath)).expect(404));
    conforms('get', '/v1/consent/whatsapp/{address}', await key(gw.request.get('/v1/consent/whatsapp/%2B15551234567'), READ_KEY).expect(200));
    conforms('get', '/v1/consent/whatsapp/{address}', await key(gw.request.get('/v1/consent/whatsapp/nobody'), READ_KEY).expect(400));

    conforms('get', '/-/healthy', await gw.request.get('/-/healthy').expect(200));
    conforms('get', '/-/ready', await gw.request.get('/-/ready').expect(200));
    conforms('get', '/metrics', await gw.request.get('/metrics').expect(200));
    conforms('post', '/-/reload', await key(gw.request.post('/-/reload')).expect(200));
    conforms('get', '/-/config', await key(gw.request.get('/-/config')).expect(200));
    const status = await key(gw.request.get('/-/status'), READ_KEY).expect(200);
    conforms('get', '/-/status', status);
    // The schemas are open to new fields, so validation alone would not notice one left undocumented.
    const fields = (component: string) => Object.keys((doc.components.schemas[component] as { properties: object }).properties).sort();
    expect(Object.keys(status.body).sort()).toEqual(fields('GatewayStatus'));
    for (const provider of status.body.providers as object[]) expect(Object.keys(provider).sort()).toEqual(fields('ProviderStatus'));
    expect((status.body.providers as { errorRate: number | null }[]).map((p) => p.errorRate)).toEqual([0, null, null]);
    for (const file of ['/ui', '/ui/app.js', '/ui/app.css']) conforms('get', file, await gw.request.get(file).expect(200));
    conforms('get', '/v1/dead-letters', await key(gw.request.get('/v1/dead-letters')).expect(200));
    conforms('post', '/v1/dead-letters/{id}/replay', await key(gw.request.post('/v1/dead-letters/01JDQ7Q8R9S0T1V2W3X4Y5Z6A7/replay')).expect(404));
    conforms('delete', '/v1/dead-letters/{id}', await key(gw.request.delete('/v1/dead-letters/01JDQ7Q8R9S0T1V2W3X4Y5Z6A7')).expect(404));

    conforms('post', '/v1/sendSMS', await key(gw.request.post('/v1/sendSMS')).send({ destination_number: '+15551234567', message_body: 'hi' }).expect(202));
    conforms('post', '/v1/sendWhatsApp', await key(gw.request.post('/v1/sendWhatsApp')).send({ destination_number: '+15551234567', message_body: 'hi' }).expect(404));
    conforms('post', '/v1/omnichannel', await key(gw.request.post('/v1/omnichannel')).send({
      use_case: 'fallback', fallback_seconds: 30,
      pc: { channel: 'sms', recipient: '+15551234567', sms: { message: 'hi' } },
      fc: { channel: 'email', recipient: 'a@example.com', email: { subject: 'hi', text: 'hi' } },
    }).expect(202));
    conforms('get', '/health', await gw.request.get('/health').expect(404));
    conforms('get', '/api/configs', await key(gw.request.get('/api/configs')).expect(404));
    conforms('get', '/openapi.json', await gw.request.get('/openapi.json').expect(200));
  });

  it('documents the auth each route enforces: no key is a 401 where a scope is listed, a read key a 403 unless the scope is read', async () => {
    const checked: string[] = [];
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item) as [string, Op][]) {
        if (op.description?.includes('provider\'s own scheme')) continue;
        let path = template;
        for (const p of op.parameters ?? []) if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(String(p.example)));
        const call = () => (gw.request as unknown as Record<string, (p: string) => ReturnType<TestGateway['request']['get']>>)[method](path);
        // A compatibility API that gateway.yaml leaves off does not exist, whoever asks.
        const off = op.description?.includes('Exists only when') ? [404] : [];
        const scope = op.security[0]?.bearerAuth?.[0];
        const anonymous = await call();
        conforms(method, template, anonymous);
        const asReader = await key(call(), READ_KEY);
        conforms(method, template, asReader);
        if (scope === undefined) {
          expect([401, 403], `${method} ${template}`).not.toContain(anonymous.status);
        } else {
          expect([401, ...off], `${method} ${template}`).toContain(anonymous.status);
          if (scope === 'read') expect([401, 403], `${method} ${template}`).not.toContain(asReader.status);
          else expect([403, ...off], `${method} ${template}`).toContain(asReader.status);
        }
        checked.push(`${method} ${template}`);
      }
    }
    expect(checked).toContain('post /-/reload');
    expect(checked.length).toBeGreaterThan(20);
  });
});
