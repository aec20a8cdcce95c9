/**
 * The plugin kit's HTTP client against a local server: answers of any status come back whole
 * (repeated headers too), a redirect is answered as it is unless following is asked for, calls
 * reuse their connection, and no answer in time or no server at all is a typed ProviderError.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import { createHttpClient } from '../../src/plugin-kit/http-client.js';
import { freePort } from '../helpers/postgres.js';

let server: Server;
let base: string;
let connections = 0;
let seen: Array<{ method: string; url: string; body: string; auth?: string }> = [];

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  seen.push({ method: req.method!, url: req.url!, body, auth: req.headers.authorization });
  if (req.url === '/slow') return void setTimeout(() => res.end('late'), 1000);
  if (req.url === '/moved') {
    res.writeHead(302, { location: '/target' });
    return void res.end();
  }
  res.setHeader('set-cookie', ['a=1', 'b=2']);
  res.writeHead(req.url === '/target' ? 200 : 429, { 'content-type': 'application/json', 'retry-after': '7' });
  res.end(JSON.stringify({ echoed: body }));
}

beforeEach(async () => {
  connections = 0;
  seen = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => handle(req, res, body));
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

it('answers any status with its body, headers (repeated ones kept) and sends method, headers and body', async () => {
  const http = createHttpClient({ timeoutMs: 2000 });
  const res = await http.request(`${base}/api`, { method: 'post', headers: { authorization: 'Bearer t0k' }, body: 'x=1' });
  expect(res.status).toBe(429);
  expect(JSON.parse(res.text)).toEqual({ echoed: 'x=1' });
  expect(res.headers.get('retry-after')).toBe('7');
  expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
  expect(seen[0]).toMatchObject({ method: 'POST', url: '/api', body: 'x=1', auth: 'Bearer t0k' });
  await expect(http.requestOk(`${base}/api`)).rejects.toMatchObject({ reason: 'rate_limited', status: 429 });
});

it('answers a redirect as it is by default, and follows it only when asked', async () => {
  const http = createHttpClient({ timeoutMs: 2000 });
  const manual = await http.request(`${base}/moved`, { method: 'POST', body: 'secret' });
  expect(manual.status).toBe(302);
  expect(manual.headers.get('location')).toBe('/target');
  expect(seen.map((s) => s.url)).toEqual(['/moved']);
  const followed = await http.request(`${base}/moved`, { redirect: 'follow' });
  expect(followed.status).toBe(200);
  expect(seen.map((s) => s.url)).toEqual(['/moved', '/moved', '/target']);
});

it('calls one after another reuse their connections instead of opening one each', async () => {
  const http = createHttpClient({ timeoutMs: 2000 });
  for (let i = 0; i < 20; i++) await http.request(`${base}/target`);
  expect(seen).toHaveLength(20);
  // A call made while the previous one's socket is being handed back may open a second one.
  expect(connections).toBeLessThanOrEqual(2);
});

it('no answer in time is a timeout, no server a server error, and a caller abort ends the call', async () => {
  const http = createHttpClient({ timeoutMs: 100 });
  const late = await http.request(`${base}/slow`).catch((e: unknown) => e);
  expect(late).toBeInstanceOf(ProviderError);
  expect(late).toMatchObject({ reason: 'timeout' });
  const longer = await http.request(`${base}/target`, { timeoutMs: 2000 });
  expect(longer.status).toBe(200);

  const down = await http.request(`http://127.0.0.1:${await freePort()}/x`).catch((e: unknown) => e);
  expect(down).toMatchObject({ reason: 'server' });

  const caller = new AbortController();
  const pending = createHttpClient({ timeoutMs: 5000 }).request(`${base}/slow`, { signal: caller.signal }).catch((e: unknown) => e);
  setTimeout(() => caller.abort(), 50);
  expect(await pending).toMatchObject({ reason: 'server' });
});
