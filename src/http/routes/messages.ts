import Router from '@koa/router';
import type { Engine, SendRequest } from '../../engine/engine.js';
import { AppError } from '../../errors.js';
import type { MessageStatus } from '../../model.js';
import type { Runtime } from '../../runtime/runtime.js';
import { requireScope, type Caller } from '../auth.js';
import { acceptAndAnswer } from '../accept.js';
import { jsonBody } from '../body.js';
import { isUlid, oneOf, page, param, timeParam } from '../query.js';
import { validateBody } from '../validate.js';

const STATUSES: readonly MessageStatus[] = ['accepted', 'routing', 'held', 'sent', 'delivered', 'read', 'failed', 'expired', 'canceled'];

function messageId(id: string): string {
  if (!isUlid(id)) throw new AppError('not_found', `message ${id} does not exist`);
  return id;
}

/** `POST /v1/messages`, `GET /v1/messages[/:id]`, `POST /v1/messages/:id/cancel`. */
export function messageRoutes(engine: Engine, runtime: () => Runtime): Router {
  const router = new Router();

  router.post('/v1/messages', requireScope(runtime, 'send'), jsonBody, async (ctx) => {
    const request = validateBody<SendRequest>('send-message', ctx.request.body);
    if (typeof request.route !== 'string' && !(ctx.state.caller as Caller).scopes.includes('send:inline')) {
      throw new AppError('forbidden', 'an inline route ({mode, steps}) needs an API key with the "send:inline" scope; name a route of gateway.yaml instead');
    }
    await acceptAndAnswer(ctx, engine, request);
  });

  router.get('/v1/messages', requireScope(runtime, 'read'), async (ctx) => {
    const { limit, cursor } = page(ctx);
    ctx.body = await engine.list({ status: oneOf(ctx, 'status', STATUSES), route: param(ctx, 'route'), since: timeParam(ctx, 'since'), limit, cursor });
  });

  router.get('/v1/messages/:id', requireScope(runtime, 'read'), async (ctx) => {
    const message = await engine.get(messageId(ctx.params.id));
    if (!message) throw new AppError('not_found', `message ${ctx.params.id} does not exist`);
    ctx.body = message;
  });

  router.post('/v1/messages/:id/cancel', requireScope(runtime, 'send'), jsonBody, async (ctx) => {
    const message = await engine.cancel(messageId(ctx.params.id));
    ctx.body = { id: message.id, status: message.status };
  });

  return router;
}
