import type { Context, Next } from 'koa';
import bodyParser from 'koa-bodyparser';
import { AppError } from '../errors.js';

type Parser = (ctx: Context) => Promise<void>;

/** The JSON parser of the API and admin routes, and the lenient one of provider webhooks. */
export interface BodyParsers {
  json: Parser;
  webhook: Parser;
}

const NOOP = async (): Promise<void> => {};

const JSON_TYPES = ['application/json', 'application/*+json'];

function parser(types: ('json' | 'form' | 'text')[], limit: string): Parser {
  const parse = bodyParser({
    enableTypes: types,
    extendTypes: { json: JSON_TYPES },
    jsonLimit: limit,
    formLimit: limit,
    textLimit: limit,
    // Any JSON value parses; the route's schema says what shape it must have.
    strict: false,
    onerror(err: Error & { status?: number }) {
      if (err.status === 413) throw new AppError('payload_too_large', `the request body is larger than ${limit}`);
      if (err.status === 415) throw new AppError('unsupported_media_type', err.message);
      throw new AppError('invalid_json', 'the request body could not be parsed');
    },
  });
  return (ctx) => parse(ctx, NOOP);
}

/**
 * Body parsers that run when a route asks, not for every request: an API route reads its body
 * only after the API key has been checked, and a webhook only once its instance and kind exist.
 */
export function createBodyParsers(limit: string): BodyParsers {
  const json = parser(['json'], limit);
  return {
    async json(ctx) {
      // Without a body there is nothing to refuse (null); with one, only JSON is understood here.
      if (ctx.request.length !== 0 && ctx.request.is(JSON_TYPES) === false) {
        throw new AppError('unsupported_media_type', `this endpoint takes application/json, not ${ctx.request.type || 'an untyped body'}`);
      }
      await json(ctx);
    },
    // Providers send JSON, forms (Twilio) or text (SNS); a body of another type reaches the plugin raw-less and empty.
    webhook: parser(['json', 'form', 'text'], limit),
  };
}

const STATE_KEY = 'bodyParsers';

/** Middleware that makes the parsers available to the routes (see {@link jsonBody}). */
export function provideBodyParsers(parsers: BodyParsers) {
  return (ctx: Context, next: Next): Promise<void> => {
    ctx.state[STATE_KEY] = parsers;
    return next();
  };
}

export function bodyParsersOf(ctx: Context): BodyParsers {
  const parsers = ctx.state[STATE_KEY] as BodyParsers | undefined;
  if (!parsers) throw new Error('body parsers are not installed: build the app with createHttpApp');
  return parsers;
}

/**
 * Route middleware: parses a JSON body into `ctx.request.body`. Put it after the auth check, so a
 * caller without a valid key never gets its upload read.
 *
 * @example router.post('/v1/messages', requireScope(runtime, 'send'), jsonBody, handler)
 */
export async function jsonBody(ctx: Context, next: Next): Promise<void> {
  await bodyParsersOf(ctx).json(ctx);
  await next();
}
