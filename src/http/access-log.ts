import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
// What a client may name its request: printable, short. Anything else gets an id of ours.
const CLIENT_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * One access-log line per request (`info`) and its duration in
 * `switchboard_http_request_duration_seconds`, with a request id: the client's `x-request-id` when it
 * sends a usable one, else a new one; echoed in the answer so a client can quote it. The path is
 * the route's template where one matched (`/v1/messages/:id`): a real path can carry a phone
 * number, and the query string never appears (webhook secrets ride in some providers' URLs).
 */
export function accessLog(logger: Logger, metrics?: Metrics): Koa.Middleware {
  return async (ctx, next) => {
    const given = ctx.get('x-request-id');
    const id = CLIENT_ID.test(given) ? given : randomUUID();
    ctx.state.requestId = id;
    ctx.set('x-request-id', id);
    const started = performance.now();
    try {
      await next();
    } finally {
      const matched = (ctx as Koa.Context & { _matchedRoute?: string | RegExp })._matchedRoute;
      const ms = performance.now() - started;
      // At `warn` (a busy gateway's usual level) the line is not built at all.
      if (logger.isLevelEnabled('info')) {
        logger.info({
          req: { id, method: ctx.method, route: typeof matched === 'string' ? matched : ctx.path.slice(0, 200) },
          status: ctx.status,
          ms: Math.round(ms * 10) / 10,
        }, 'request');
      }
      // A label only from a template or a fixed word: an unmatched path is anyone's text.
      const route = typeof matched === 'string' ? matched : 'unmatched';
      metrics?.httpDuration.observe({ method: KNOWN_METHODS.has(ctx.method) ? ctx.method : 'other', route, status_class: `${Math.floor(ctx.status / 100)}xx` }, ms / 1000);
    }
  };
}
