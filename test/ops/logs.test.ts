/** Logs that fit log pipelines: level names, one access line per request with a request id, and its duration metric. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, DELIVERING_SMS, startGateway, type TestGateway } from '../helpers/gateway.js';

interface Line {
  level: unknown;
  msg: string;
  req?: { id: string; method: string; route: string };
  status?: number;
  ms?: number;
}

describe('logs', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(DELIVERING_SMS);
  });
  afterAll(() => gw.close());
  const lines = () => gw.logs.map((l) => JSON.parse(l) as Line);
  const accessLines = () => lines().filter((l) => l.msg === 'request');

  it('logs each request once with its route template, status and time, and echoes the client\'s x-request-id', async () => {
    const sent = await gw.request.post('/v1/messages').set('x-api-key', API_KEY).set('x-request-id', 'client-req-42').send({ route: 'default', to: { phone: '+15551230001' }, content: { text: 'hi' } }).expect(202);
    expect(sent.headers['x-request-id']).toBe('client-req-42');
    const got = await gw.request.get(`/v1/messages/${sent.body.id}?fields=all`).set('x-api-key', API_KEY).expect(200);
    const generated = got.headers['x-request-id'];
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    // A phone number in the path, a secret in the query: neither reaches the log.
    await gw.request.get('/v1/consent/whatsapp/+15551230001?code=query-secret').set('x-api-key', API_KEY);
    await gw.request.get('/no/such/route').expect(404);
    const access = accessLines();
    expect(access.find((l) => l.req?.id === 'client-req-42')).toMatchObject({ level: 'info', req: { method: 'POST', route: '/v1/messages' }, status: 202 });
    expect(access.find((l) => l.req?.id === generated)).toMatchObject({ req: { method: 'GET', route: '/v1/messages/:id' }, status: 200 });
    expect(access.filter((l) => l.req?.id === 'client-req-42')).toHaveLength(1);
    expect(access.some((l) => l.req?.route === '/no/such/route' && l.status === 404)).toBe(true);
    expect(access.every((l) => typeof l.ms === 'number')).toBe(true);
    // The same requests timed by route template and status class; an unmatched path is one label, not its text.
    const metrics = (await gw.request.get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^switchboard_http_request_duration_seconds_count\{method="POST",route="\/v1\/messages",status_class="2xx"\} 1$/m);
    expect(metrics).toMatch(/^switchboard_http_request_duration_seconds_count\{method="GET",route="\/v1\/messages\/:id",status_class="2xx"\} 1$/m);
    expect(metrics).toMatch(/^switchboard_http_request_duration_seconds_count\{method="GET",route="unmatched",status_class="4xx"\} [1-9]/m);
    expect(metrics).not.toContain('/no/such/route');
    expect(metrics).not.toContain('+1555');
    const text = gw.logs.join('\n');
    expect(text).not.toContain('query-secret');
    expect(text).not.toMatch(/consent\/whatsapp\/\+1555/);
  });

  it('makes its own id for an unusable x-request-id', async () => {
    const res = await gw.request.get('/-/healthy').set('x-request-id', 'x'.repeat(500));
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('names levels instead of numbering them (every line so far)', () => {
    const levels = new Set(lines().map((l) => l.level));
    expect(levels.size).toBeGreaterThan(0);
    for (const level of levels) expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).toContain(level);
  });
});
