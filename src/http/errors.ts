import { STATUS_CODES } from 'node:http';
import type { Context, Next } from 'koa';
import { AppError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';

/** Errors thrown by Koa's own helpers and the body parser carry a status; give them stable codes. */
function fromHttpError(err: { status?: number; type?: string; message?: string }): AppError | undefined {
  const byStatus: Record<number, ErrorCode> = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed', 501: 'method_not_allowed', 413: 'payload_too_large', 415: 'unsupported_media_type' };
  const code = err.status ? byStatus[err.status] : undefined;
  if (!code) return undefined;
  const message = code === 'payload_too_large' ? 'the request body is too large' : err.message ?? code;
  return new AppError(code, message);
}

/**
 * The one error middleware: renders `{error, code, message, details?}` and logs once. Anything
 * that is not a typed error is a 500 with no internals shown.
 */
export function errorMiddleware(logger: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new AppError('not_found', `no route for ${ctx.method} ${ctx.path}`);
    } catch (raw) {
      const err = raw instanceof AppError ? raw : fromHttpError(raw as { status?: number });
      if (!err) logger.error({ err: raw, method: ctx.method, path: ctx.path }, 'unhandled error');
      else if (err.status >= 500) logger.error({ err, path: ctx.path }, err.message);
      else logger.debug({ code: err.code, path: ctx.path }, err.message);
      const shown = err ?? new AppError('internal', 'internal error');
      ctx.status = shown.status;
      if (shown.retryAfter !== undefined) ctx.set('Retry-After', String(shown.retryAfter));
      ctx.body = {
        error: STATUS_CODES[shown.status] ?? 'Error',
        code: shown.code,
        message: shown.expose ? shown.message : 'internal error',
        ...(shown.details !== undefined ? { details: shown.details } : {}),
      };
    }
  };
}
