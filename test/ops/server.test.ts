import { afterEach, describe, expect, it } from 'vitest';
import { applyServerLimits, closeGracefully, createGatewayServer, listen } from '../../src/cli/server.js';
import type { GatewayConfig } from '../../src/config/types.js';

const SETTINGS: GatewayConfig['server'] = {
  host: '127.0.0.1', port: 0, bodyLimit: '1mb',
  requestTimeout: '30s', headersTimeout: '10s', keepAliveTimeout: '5s', maxConnections: 1024, shutdownTimeout: '10s',
};

describe('the gateway HTTP server', () => {
  const open: { close(): Promise<unknown> }[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });

  async function started() {
    const gw = createGatewayServer(SETTINGS);
    const port = await listen(gw.server, 0, '127.0.0.1');
    open.push({ close: () => closeGracefully(gw.server, 100) });
    return { ...gw, url: `http://127.0.0.1:${port}` };
  }

  it('answers 503 not_ready with Retry-After until the app is swapped in', async () => {
    const gw = await started();
    const res = await fetch(`${gw.url}/v1/messages`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({ error: 'Service Unavailable', code: 'not_ready', message: expect.stringContaining('starting') });

    gw.setHandler((_req, res2) => res2.end('ready'));
    expect(await (await fetch(`${gw.url}/-/healthy`)).text()).toBe('ready');
  });

  it('takes its limits from server: and a reload can change them', async () => {
    const gw = await started();
    expect(gw.server).toMatchObject({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5000, maxConnections: 1024 });
    applyServerLimits(gw.server, { ...SETTINGS, requestTimeout: '20s', headersTimeout: '2s', keepAliveTimeout: '1s', maxConnections: 1 });
    expect(gw.server).toMatchObject({ requestTimeout: 20_000, headersTimeout: 2000, keepAliveTimeout: 1000, maxConnections: 1 });
  });

  it('closing cuts a request that outlives the shutdown timeout and says so', async () => {
    const gw = await started();
    gw.setHandler(() => {}); // never answers
    const pending = fetch(`${gw.url}/slow`).catch((err: unknown) => err);
    await new Promise<void>((resolve) => gw.server.once('request', () => resolve()));
    expect(await closeGracefully(gw.server, 50)).toBe(false);
    expect(await pending).toBeInstanceOf(Error);
  });
});
