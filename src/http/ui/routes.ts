import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Metrics } from '../../metrics/metrics.js';
import type { Runtime } from '../../runtime/runtime.js';
import { fromPackage } from '../../package-root.js';
import { requireScope } from '../auth.js';
import { gatewayStatus } from './status.js';

// The assets are not compiled: every build reads them from the source tree.
const root = fromPackage('src', 'http', 'ui', 'assets');

const ASSETS = {
  '/ui': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
} as const;

/**
 * Self only, no inline code, and Trusted Types: a page that renders user text must never parse it
 * as HTML, and with `require-trusted-types-for` any `innerHTML` assignment throws instead.
 */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  'trusted-types',
].join('; ');

async function securityHeaders(ctx: Context, next: Next): Promise<void> {
  await next();
  ctx.set({
    'content-security-policy': UI_CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-store',
  });
}

export interface UiDeps {
  runtime: () => Runtime;
  metrics: Metrics;
}

/**
 * The status page: static files that hold no data (anyone may load them), and `GET /-/status`
 * (read scope) with what the REST API does not already answer. The page asks for an API key and
 * sends it as a header on every API call; see the README's "Status page".
 */
export function uiRoutes(deps: UiDeps): Router {
  const router = new Router();
  const files = new Map(Object.entries(ASSETS).map(([path, a]) => [path, { type: a.type, body: readFileSync(join(root, a.file)) }]));
  for (const [path, asset] of files) {
    router.get(path, securityHeaders, (ctx) => {
      ctx.type = asset.type;
      ctx.body = asset.body;
    });
  }
  router.get('/-/status', requireScope(deps.runtime, 'read'), async (ctx) => {
    ctx.set('cache-control', 'no-store');
    ctx.body = await gatewayStatus(deps.runtime(), deps.metrics);
  });
  return router;
}
