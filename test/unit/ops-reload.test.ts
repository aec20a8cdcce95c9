import Router from '@koa/router';
import { Registry } from 'prom-client';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import type { Outbox } from '../../src/callbacks/outbox.js';
import { createHttpApp } from '../../src/http/http-app.js';
import { opsRoutes } from '../../src/http/routes/ops.js';
import { createLogger } from '../../src/log/logger.js';
import { createRedactor } from '../../src/log/redact.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import type { Store } from '../../src/store/store.js';

const KEY = 'admin-key-0123456789';
const OLD_SECRET = 'old-client-secret-5b8a';
const NEW_SECRET = 'new-client-secret-9d4c';

describe('POST /-/reload refused (issue 6 #24)', () => {
  it('masks the secrets of the serving config and of the refused file in the answer', async () => {
    const runtime = { loaded: { hash: 'h', config: { api: { keys: [{ name: 'ops', key: KEY, scopes: ['admin'] }] } } } } as unknown as Runtime;
    const router: Router = opsRoutes({
      runtime: () => runtime,
      metrics: createMetrics(new Registry()),
      store: {} as Store,
      outbox: {} as Outbox,
      redact: createRedactor(() => new Set([OLD_SECRET, KEY])),
      ready: () => true,
      reload: async () => ({
        ok: false,
        errors: [`gateway.yaml:3:5: unknown property "${OLD_SECRET}"`, `providers.bw: cannot load plugin ./plugins/${NEW_SECRET}/index.js`],
        secrets: new Set([NEW_SECRET]),
      }),
    });
    const app = createHttpApp({ logger: createLogger({ level: 'silent', secrets: () => new Set() }), bodyLimit: '1mb', routers: [router] });
    const res = await supertest(app.callback()).post('/-/reload').set('x-api-key', KEY);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'config_invalid', details: ['gateway.yaml:3:5: unknown property "***"', 'providers.bw: cannot load plugin ./plugins/***/index.js'] });
    expect(JSON.stringify(res.body)).not.toMatch(/client-secret/);
  });
});
