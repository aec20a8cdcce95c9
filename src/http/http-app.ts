import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import type Router from '@koa/router';
import { AppError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { errorMiddleware } from './errors.js';

export interface HttpAppOptions {
  logger: Logger;
  bodyLimit: string;
  routers: readonly Router[];
}

/**
 * The Koa app: one error middleware, one body parser (JSON, forms for Twilio-style webhooks, text
 * for SNS), then the routers. No business rules live here.
 */
export function createHttpApp(options: HttpAppOptions): Koa {
  const app = new Koa();
  app.proxy = true;
  app.silent = true;
  app.use(errorMiddleware(options.logger));
  app.use(
    bodyParser({
      enableTypes: ['json', 'form', 'text'],
      jsonLimit: options.bodyLimit,
      formLimit: options.bodyLimit,
      textLimit: options.bodyLimit,
      strict: false,
      onerror(err: Error & { status?: number }) {
        if (err.status === 413) throw new AppError('payload_too_large', `the request body is larger than ${options.bodyLimit}`);
        if (err.status === 415) throw new AppError('unsupported_media_type', err.message);
        throw new AppError('invalid_json', 'the request body could not be parsed');
      },
    }),
  );
  for (const router of options.routers) app.use(router.routes()).use(router.allowedMethods({ throw: true }));
  return app;
}
