import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import type { Logger } from '../log/logger.js';

// What a client may name its request: printable, short. Anything else gets an id of ours.
const CLIENT_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * One access-log line per request (`info`), with a request id: the client's `x-request-id` when it
 * sends a usable one, else a new one; echoed in the answer so a client can quote it. The path is
 * the route's template where one matched (`/v1/messages/:id`): a real path can carry a phone
 * number, and the query string never appears (webhook secrets ride in some providers' URLs).
 */
export function accessLog(logger: Logger): Koa.Middleware {
  return async (ctx, next) => {
    const given = ctx.get('x-request-id');
    const id = CLIENT_ID.test(given) ? given : randomUUID();
    ctx.state.requestId = id;
    ctx.set('x-request-id', id);
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = (ctx as Koa.Context & { _matchedRoute?: string | RegExp })._matchedRoute;
      logger.info({
        req: { id, method: ctx.method, route: typeof route === 'string' ? route : ctx.path.slice(0, 200) },
        status: ctx.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      }, 'request');
    }
  };
}
