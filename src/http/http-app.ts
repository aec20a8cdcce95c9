import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { accessLog } from './access-log.js';
import { createBodyParsers, provideBodyParsers } from './body.js';
import { errorMiddleware } from './errors.js';

export interface HttpAppOptions {
  logger: Logger;
  /** Where request durations are observed (tests may leave it out). */
  metrics?: Metrics;
  bodyLimit: string;
  routers: readonly Router[];
  /** Routes whose path comes from the config (so a reload can move them), run before the routers. */
  middleware?: readonly Koa.Middleware[];
}

/**
 * The Koa app: the access log, one error middleware, then the routers. Bodies are parsed by the routes that take
 * one, after their auth check (see `body.ts`); no business rules live here.
 */
export function createHttpApp(options: HttpAppOptions): Koa {
  const app = new Koa();
  app.proxy = true;
  app.silent = true;
  app.use(accessLog(options.logger, options.metrics));
  app.use(errorMiddleware(options.logger));
  app.use(provideBodyParsers(createBodyParsers(options.bodyLimit)));
  for (const mw of options.middleware ?? []) app.use(mw);
  // One router holding every route: a request is matched once, not tried against each router in
  // turn (each read the host and walked its own routes, two middleware layers apiece). So no router
  // may take router-level middleware (`router.use(fn)`): nested here, it would run for every route.
  const root = new Router();
  for (const router of options.routers) root.use(router.routes());
  // Without `throw`, the router answers 405 with `Allow`; the error middleware gives it the one shape.
  app.use(root.routes()).use(root.allowedMethods());
  return app;
}
