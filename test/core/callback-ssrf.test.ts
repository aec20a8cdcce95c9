import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCallbackTransport, type CallbackPost } from '../../src/callbacks/transport.js';
import { checkCallbackUrl, forbiddenRange } from '../../src/callbacks/url-policy.js';
import type { Message } from '../../src/model.js';
import { API_KEY, configText, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';

interface Target {
  server: Server;
  port: number;
  url: string;
  hits: { method: string; path: string; body: string }[];
}

async function target(answer: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<Target> {
  const hits: Target['hits'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      hits.push({ method: req.method ?? '', path: req.url ?? '', body });
      answer(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { server, port, url: `http://127.0.0.1:${port}/hook`, hits };
}

/** A resolver that answers from a table, as a DNS server under someone else's control would. */
const fakeDns = (table: Record<string, string>): LookupFunction => (hostname, options, callback) => {
  const address = Object.hasOwn(table, hostname) ? table[hostname] : undefined;
  if (!address) return callback(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
  const family = address.includes(':') ? 6 : 4;
  if (options.all) return (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
  return callback(null, address, family);
};


/** An SMS route that never gets a receipt, with fast callback retries and the given `callbacks:` settings. */
const silentSms = (callbacks: string) => configText(`
providers:
  sms: { plugin: mock, channels: [sms], outcome: none }
routes:
  default:
    steps:
      - { channel: sms, providers: [sms], until: delivered, within: 5m }
`, 'retry: { initial: 20ms, max: 50ms, attempts: 2 }', { callbacks });

describe('callback URL policy (issue 6 #20)', () => {
  it.each([
    ['127.0.0.1', 'loopback'], ['::1', 'loopback'], ['::ffff:127.0.0.1', 'loopback'], ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'], ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['192.168.1.1', 'private'],
    ['fd00:ec2::254', 'uniqueLocal'], ['100.64.0.1', 'carrierGradeNat'], ['0.0.0.0', 'unspecified'], ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'], ['64:ff9b::7f00:1', 'rfc6052'],
  ])('%s is refused (%s)', (address, range) => {
    expect(forbiddenRange(address)).toBe(range);
  });

  it.each(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c', '8.8.8.8'])('%s is a public address', (address) => {
    expect(forbiddenRange(address)).toBeUndefined();
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/', 'http://127.0.0.1:8080/x', 'http://[::1]/x', 'http://[::ffff:7f00:1]/x',
    'http://2130706433/x', 'http://0x7f.1/x', 'http://10.0.0.1/x', 'http://100.64.1.1/', 'http://localhost:3000/x',
    'http://api.localhost/x', 'ftp://example.com/x', 'file:///etc/passwd', 'gopher://example.com/', 'http://999.999.999.999/x', 'not a url',
  ])('%s is refused at accept without an allow-list', (url) => {
    expect(checkCallbackUrl(url, {}).ok).toBe(false);
  });

  it('a public host passes; an allow-list admits only its hosts, whatever their addresses', () => {
    expect(checkCallbackUrl('https://hooks.example.com/status', {}).ok).toBe(true);
    expect(checkCallbackUrl('http://10.0.0.5:8080/cb', { allowedHosts: ['10.0.0.5'] })).toMatchObject({ ok: true, allowListed: true });
    expect(checkCallbackUrl('https://HOOKS.example.com/x', { allowedHosts: ['hooks.example.com'] }).ok).toBe(true);
    expect(checkCallbackUrl('https://other.example.com/x', { allowedHosts: ['hooks.example.com'] }).ok).toBe(false);
    expect(checkCallbackUrl('http://[::1]:9/x', { allowedHosts: ['::1'] }).ok).toBe(true);
    expect(checkCallbackUrl('ftp://hooks.example.com/x', { allowedHosts: ['hooks.example.com'] }).ok).toBe(false);
  });
});

describe('callback delivery: resolved addresses and redirects (issue 6 #20)', () => {
  const targets: Target[] = [];
  afterEach(() => {
    for (const t of targets.splice(0)) t.server.close();
  });
  const post = (url: string, extra: Partial<CallbackPost> = {}): CallbackPost => ({ url, headers: { 'content-type': 'application/json' }, body: '{"a":1}', timeoutMs: 2000, policy: {}, ...extra });

  it('a host name that resolves to a loopback address is refused at connect; nothing reaches it', async () => {
    const t = await target((_q, res) => res.end());
    targets.push(t);
    const deliver = createCallbackTransport({ lookup: fakeDns({ 'hooks.attacker.test': '127.0.0.1' }) });
    const outcome = await deliver(post(`http://hooks.attacker.test:${t.port}/hook`));
    expect(outcome).toEqual({ kind: 'refused', reason: 'hooks.attacker.test resolves to a loopback address' });
    expect(t.hits).toEqual([]);
  });

  it('an allow-listed name reaches its (private) address through the same checked lookup', async () => {
    const t = await target((_q, res) => res.writeHead(200).end());
    targets.push(t);
    const deliver = createCallbackTransport({ lookup: fakeDns({ 'hooks.lan.test': '127.0.0.1' }) });
    const outcome = await deliver(post(`http://hooks.lan.test:${t.port}/hook`, { policy: { allowedHosts: ['hooks.lan.test'] } }));
    expect(outcome).toEqual({ kind: 'answered', status: 200 });
    expect(t.hits).toEqual([{ method: 'POST', path: '/hook', body: '{"a":1}' }]);
  });

  it('the metadata address behind a name is refused too', async () => {
    const deliver = createCallbackTransport({ lookup: fakeDns({ 'metadata.attacker.test': '169.254.169.254' }) });
    expect(await deliver(post('http://metadata.attacker.test/latest/meta-data/'))).toMatchObject({ kind: 'refused', reason: expect.stringContaining('link-local') });
  });

  it('a DNS failure is a retryable failure, not a refusal', async () => {
    const deliver = createCallbackTransport({ lookup: fakeDns({}) });
    expect(await deliver(post('http://nowhere.attacker.test/x'))).toMatchObject({ kind: 'failed' });
  });

  it('follows a 307 to an allowed host (POST with body) and answers with the last status', async () => {
    const final = await target((_q, res) => res.writeHead(204).end());
    const first = await target((_q, res) => res.writeHead(307, { location: `${final.url}?via=redirect` }).end());
    targets.push(final, first);
    const outcome = await createCallbackTransport()(post(first.url, { policy: { allowedHosts: ['127.0.0.1'] } }));
    expect(outcome).toEqual({ kind: 'answered', status: 204 });
    expect(final.hits).toEqual([{ method: 'POST', path: '/hook?via=redirect', body: '{"a":1}' }]);
  });

  it.each([
    ['the metadata address', 'http://169.254.169.254/latest/meta-data/'],
    ['a host off the allow-list', 'http://localhost:1/x'],
    ['another scheme', 'file:///etc/passwd'],
  ])('a redirect to %s is refused at that hop', async (_name, location) => {
    const first = await target((_q, res) => res.writeHead(302, { location }).end());
    targets.push(first);
    const outcome = await createCallbackTransport()(post(first.url, { policy: { allowedHosts: ['127.0.0.1'] } }));
    expect(outcome).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/^redirect 1: /) });
  });

  it('stops after 5 redirects', async () => {
    const loop = await target((req, res) => res.writeHead(308, { location: `/hook${(req.url ?? '').length}` }).end());
    targets.push(loop);
    const outcome = await createCallbackTransport()(post(loop.url, { policy: { allowedHosts: ['127.0.0.1'] } }));
    expect(outcome).toEqual({ kind: 'refused', reason: 'more than 5 redirects' });
    expect(loop.hits).toHaveLength(6);
  });
});

describe('callbacks through the gateway (issue 6 #20)', () => {
  let gw: TestGateway;
  let hook: Target;
  const LEAK = 'internal-admin-token-7731 <html>stack trace</html>';

  beforeAll(async () => {
    hook = await target((_q, res) => res.writeHead(500, { 'content-type': 'text/html' }).end(LEAK));
    gw = await startGateway(silentSms("maxAge: 200ms"));
  });
  afterAll(async () => {
    await gw.close();
    hook.server.close();
  });

  const send = (callbackUrl: string) => gw.request.post('/v1/messages').set('x-api-key', API_KEY)
    .send({ route: 'default', to: { sms: '+15551234567' }, content: { text: 'hi' }, callbackUrl });

  it.each(['http://169.254.169.254/', 'http://127.0.0.1:9/x', 'http://[::1]/x', 'http://10.0.0.8/x', 'http://100.64.0.9/x', 'ftp://example.com/x', 'http://localhost/x'])(
    'POST /v1/messages with callbackUrl %s is a 400',
    async (url) => {
      const res = await send(url);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'validation_failed', message: expect.stringContaining('callbackUrl') });
    },
  );

  it('a public callback host is accepted', async () => {
    await send('https://hooks.example.com/status').expect(202);
  });

  it('at delivery, a stored job to a loopback host (accepted before the policy) is refused and dead-lettered at once; the target hears nothing', async () => {
    const before = hook.hits.length;
    const m = { id: '01J00000000000000000000001', route: 'default', status: 'routing', history: [], attempts: [], updatedAt: new Date().toISOString(), callbackUrl: `http://localhost:${hook.port}/hook` } as unknown as Message;
    gw.app.outbox.enqueue(m, 'accepted');
    await gw.app.store.commit();
    const dead = await eventually(() => {
      const d = [...gw.app.store.deadLetters.values()].find((x) => x.job.messageId === m.id);
      expect(d).toBeDefined();
      return d!;
    });
    expect(dead.reason).toMatch(/^refused: callbackUrl host localhost is a loopback name.* after 1 tries$/);
    expect(hook.hits.length).toBe(before);
  });

  it('dead-letter reasons and lastError carry the status only, never the answer body', async () => {
    const local = await startGateway(silentSms("maxAge: 200ms, allowedHosts: ['127.0.0.1']"));
    try {
      const res = await local.request.post('/v1/messages').set('x-api-key', API_KEY)
        .send({ route: 'default', to: { sms: '+15551234567' }, content: { text: 'hi' }, callbackUrl: hook.url }).expect(202);
      const dead = await eventually(() => {
        const d = [...local.app.store.deadLetters.values()].find((x) => x.job.messageId === res.body.id);
        expect(d).toBeDefined();
        return d!;
      });
      expect(hook.hits.length).toBeGreaterThan(1);
      expect(dead.reason).toMatch(/^HTTP 500 after \d+ tries$/);
      expect(dead.job.lastError).toBe('HTTP 500');
      const listed = await local.request.get('/v1/dead-letters').set('x-api-key', API_KEY).expect(200);
      const message = await local.request.get(`/v1/messages/${res.body.id}`).set('x-api-key', API_KEY).expect(200);
      for (const shown of [JSON.stringify(listed.body), JSON.stringify(message.body)]) expect(shown).not.toContain('internal-admin-token');
    } finally {
      await local.close();
    }
  });
});
