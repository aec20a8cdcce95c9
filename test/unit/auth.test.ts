import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import type { Scope } from '../../src/config/types.js';
import type { AppError } from '../../src/errors.js';
import { authenticate, requireScope } from '../../src/http/auth.js';
import type { Runtime } from '../../src/runtime/runtime.js';

// authenticate reads only the loaded config's API keys; a config is frozen, as loadConfig leaves it.
const runtimeWith = (keys: { name: string; key: string; scopes: Scope[] }[]) =>
  ({ loaded: { config: Object.freeze({ api: Object.freeze({ keys: Object.freeze(keys.map((k) => Object.freeze(k))) }) }) } }) as unknown as Runtime;

describe('API key authentication against precomputed digests', () => {
  const runtime = runtimeWith([
    { name: 'sender', key: 'send-key-0123456789', scopes: ['send'] },
    { name: 'reader', key: 'read-key-0123456789', scopes: ['read'] },
  ]);

  it('finds the owner of a configured key, and only of that key', () => {
    expect(authenticate(runtime, 'send-key-0123456789')).toEqual({ name: 'sender', scopes: ['send'] });
    expect(authenticate(runtime, 'read-key-0123456789')).toEqual({ name: 'reader', scopes: ['read'] });
  });

  it('refuses a missing, empty, shortened, lengthened or differently cased key', () => {
    for (const key of [undefined, '', 'send-key-012345678', 'send-key-01234567890', 'SEND-KEY-0123456789']) {
      expect(authenticate(runtime, key)).toBeUndefined();
    }
  });

  it('follows a reload that rotates the keys: the old key stops working at once', () => {
    const rotated = runtimeWith([{ name: 'sender', key: 'new-send-key-9876543210', scopes: ['send', 'read'] }]);
    expect(authenticate(rotated, 'send-key-0123456789')).toBeUndefined();
    expect(authenticate(rotated, 'new-send-key-9876543210')).toEqual({ name: 'sender', scopes: ['send', 'read'] });
    expect(authenticate(runtime, 'send-key-0123456789')?.name).toBe('sender');
  });

  it('takes the first configured owner when two entries share a key', () => {
    const twice = runtimeWith([
      { name: 'first', key: 'shared-key-0123456789', scopes: ['read'] },
      { name: 'second', key: 'shared-key-0123456789', scopes: ['admin'] },
    ]);
    expect(authenticate(twice, 'shared-key-0123456789')?.name).toBe('first');
  });
});

describe('API keys on one keep-alive connection', () => {
  // requireScope remembers the key a connection last proved; each request must still be judged on its own key.
  async function serve(current: () => Runtime) {
    const app = new Koa();
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (err) {
        ctx.status = (err as AppError).status;
      }
    });
    app.use(requireScope(current, 'send'));
    app.use((ctx) => {
      ctx.body = (ctx.state.caller as { name: string }).name;
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    let connections = 0;
    server.on('connection', () => (connections += 1));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const call = (key: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.get({ agent, host: '127.0.0.1', port: (server.address() as AddressInfo).port, headers: { authorization: `Bearer ${key}` } }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
      });
    return { call, connections: () => connections, close: () => { agent.destroy(); server.close(); } };
  }

  it('judges every request by the key it carries, not the one the connection proved before', async () => {
    let runtime = runtimeWith([
      { name: 'sender', key: 'send-key-0123456789', scopes: ['send'] },
      { name: 'reader', key: 'read-key-0123456789', scopes: ['read'] },
    ]);
    const s = await serve(() => runtime);
    try {
      expect(await s.call('send-key-0123456789')).toEqual({ status: 200, body: 'sender' });
      expect(await s.call('send-key-0123456789')).toEqual({ status: 200, body: 'sender' });
      expect((await s.call('send-key-012345678X')).status).toBe(401);
      expect((await s.call('send-key-012345678')).status).toBe(401);
      expect((await s.call('send-key-01234567890')).status).toBe(401);
      expect((await s.call('read-key-0123456789')).status).toBe(403);
      expect(await s.call('send-key-0123456789')).toEqual({ status: 200, body: 'sender' });
      // A reload that rotates the keys: the key this connection proved stops working at once.
      runtime = runtimeWith([{ name: 'rotated', key: 'new-send-key-9876543210', scopes: ['send'] }]);
      expect((await s.call('send-key-0123456789')).status).toBe(401);
      expect(await s.call('new-send-key-9876543210')).toEqual({ status: 200, body: 'rotated' });
      expect(s.connections()).toBe(1);
    } finally {
      s.close();
    }
  });
});
