import { STATUS_CODES } from 'node:http';
import type { Context, Next } from 'koa';
import { AppError, errorCodeForStatus } from '../errors.js';
import type { Logger } from '../log/logger.js';

/** Errors thrown by Koa's own helpers and the body parser carry a status; give them stable codes. */
function fromHttpError(err: unknown): AppError | undefined {
  const { status, message } = (err ?? {}) as { status?: unknown; message?: unknown };
  if (typeof status !== 'number') return undefined;
  const code = errorCodeForStatus(status);
  if (!code) return undefined;
  if (code === 'payload_too_large') return new AppError(code, 'the request body is too large');
  return new AppError(code, typeof message === 'string' && message !== '' ? message : code);
}

/**
 * What the router left unanswered: no route (404), or a route without this method (the router
 * set 405 or 501 and `Allow`; with an empty `Allow` no route matched the path at all).
 */
function unanswered(ctx: Context): AppError | undefined {
  if (ctx.body !== undefined && ctx.body !== null) return undefined;
  if ((ctx.status === 405 || ctx.status === 501) && ctx.response.get('Allow') !== '') {
    return new AppError('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}; allowed: ${ctx.response.get('Allow')}`);
  }
  if (ctx.status === 404 || ctx.status === 405 || ctx.status === 501) {
    ctx.remove('Allow');
    return new AppError('not_found', `no route for ${ctx.method} ${ctx.path}`);
  }
  return undefined;
}

/**
 * The one error middleware: renders `{error, code, message, details?}` and logs once. Anything
 * that is not a typed error is a 500 with no internals shown.
 */
export function errorMiddleware(logger: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      const missing = unanswered(ctx);
      if (missing) throw missing;
    } catch (raw) {
      const err = raw instanceof AppError ? raw : fromHttpError(raw);
      if (!err) logger.error({ err: raw, method: ctx.method, path: ctx.path }, 'unhandled error');
      else if (err.status >= 500) logger.error({ err, path: ctx.path }, err.message);
      else logger.debug({ code: err.code, path: ctx.path }, err.message);
      const shown = err ?? new AppError('internal', 'internal error');
      ctx.status = shown.status;
      if (shown.status !== 405) ctx.remove('Allow');
      if (shown.retryAfter !== undefined) ctx.set('Retry-After', String(shown.retryAfter));
      ctx.body = {
        error: STATUS_CODES[shown.status] ?? 'Error',
        code: shown.code,
        message: shown.expose ? shown.message : 'internal error',
        ...(shown.details !== undefined && shown.expose ? { details: shown.details } : {}),
      };
    }
  };
}
