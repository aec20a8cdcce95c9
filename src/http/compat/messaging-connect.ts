import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { MessagingConnectConfig } from '../../config/types.js';
import type { Engine, SendRequest } from '../../engine/engine.js';
import { AppError } from '../../errors.js';
import type { Runtime } from '../../runtime/runtime.js';
import { acceptRequest } from '../accept.js';
import { requireScope } from '../auth.js';
import { jsonBody } from '../body.js';
import { validateBody } from '../validate.js';

interface TestBody {
  channel_id: string;
  phone_number: string;
  message: string;
}

/** Without `compat.messagingConnect` these paths do not exist (404); read per request, so a reload turns them on or off. */
function enabled(runtime: () => Runtime) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const mc = runtime().loaded.config.compat.messagingConnect;
    if (!mc) throw new AppError('not_found', `no route for ${ctx.method} ${ctx.path}: the Messaging Connect API is off (compat.messagingConnect in gateway.yaml)`);
    ctx.state.messagingConnect = mc;
    await next();
  };
}

type AcsSpec = { endpoint?: unknown; channelRegistrations?: { whatsapp?: unknown; sms?: unknown } };

/**
 * Which route a `channel_id` stands for: the acs instance's WhatsApp registration goes out on
 * `whatsappRoute` (addressed by phone, so its SMS fallback reaches the same person), its SMS
 * registration on `smsRoute`.
 */
function routeFor(runtime: Runtime, mc: MessagingConnectConfig, body: TestBody): Pick<SendRequest, 'route' | 'to'> {
  const spec = runtime.loaded.config.providers[mc.provider] as AcsSpec;
  const phone = body.phone_number.startsWith('+') ? body.phone_number : `+${body.phone_number}`;
  const id = body.channel_id.toLowerCase();
  const is = (v: unknown) => typeof v === 'string' && v.toLowerCase() === id;
  if (is(spec.channelRegistrations?.whatsapp)) return { route: mc.whatsappRoute, to: { phone } };
  if (is(spec.channelRegistrations?.sms)) return { route: mc.smsRoute, to: { sms: phone } };
  throw new AppError('validation_failed', `channel_id ${body.channel_id} is not a channel registration of ${mc.provider}`);
}

/**
 * The Messaging Connect service's API, translated onto the gateway (no business rules here):
 * `GET /health` as the service answered it, and `POST /messaging-connect/test`, which accepts a
 * message on the route of the named channel (send scope; `Idempotency-Key` as everywhere).
 *
 * @example
 *   // gateway.yaml: compat: { messagingConnect: { provider: acs, whatsappRoute: notify, smsRoute: sms } }
 *   // curl …/health → {"status":"healthy","messaging_connect_enabled":true,"acs_endpoint":"https://…","service":"consolidated-backend"}
 */
export function messagingConnectRoutes(engine: Engine, runtime: () => Runtime): Router {
  const router = new Router();
  const on = enabled(runtime);
  const mcOf = (ctx: Context) => ctx.state.messagingConnect as MessagingConnectConfig;

  router.get('/health', on, (ctx) => {
    const spec = runtime().loaded.config.providers[mcOf(ctx).provider] as AcsSpec;
    ctx.body = { status: 'healthy', messaging_connect_enabled: true, acs_endpoint: spec.endpoint ?? null, service: 'consolidated-backend' };
  });

  router.post('/messaging-connect/test', on, requireScope(runtime, 'send'), jsonBody, async (ctx) => {
    const body = validateBody<TestBody>('messaging-connect-test', ctx.request.body);
    const target = routeFor(runtime(), mcOf(ctx), body);
    const { message, status } = await acceptRequest(ctx, engine, { ...target, content: { text: body.message } });
    ctx.body = { success: true, result: { message_id: message.id, status }, service: 'messaging_connect' };
  });

  return router;
}
