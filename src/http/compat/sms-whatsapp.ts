import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Engine, SendRequest } from '../../engine/engine.js';
import { AppError } from '../../errors.js';
import type { Runtime } from '../../runtime/runtime.js';
import { requireScope } from '../auth.js';
import { acceptAndAnswer } from '../accept.js';
import { jsonBody } from '../body.js';
import type { BodySchema } from '../body-schemas.js';
import { validateBody } from '../validate.js';

/** The body both endpoints take, as the consent stack's clients send it. */
interface CompatSendBody {
  destination_number: string;
  message_body: string;
}

type CompatApiName = 'sendSMS' | 'sendWhatsApp';

interface CompatApi {
  schema: BodySchema;
  to(number: string): SendRequest['to'];
}

/**
 * How each endpoint addresses the route it is mapped onto. `sendWhatsApp` gives the number as
 * `phone` (WhatsApp and SMS), so a route with an SMS fallback step — the consent policy's
 * `onExpiry: fallback` — reaches the same person instead of skipping for want of an address.
 * `sendSMS` gives it for SMS (and MMS) only: its caller asked for SMS, so a WhatsApp step on that
 * route is skipped rather than used behind the caller's back.
 */
const APIS: Readonly<Record<CompatApiName, CompatApi>> = {
  sendSMS: { schema: 'compat-send-sms', to: (number) => ({ sms: number }) },
  sendWhatsApp: { schema: 'compat-send-whatsapp', to: (number) => ({ phone: number }) },
};

/**
 * An endpoint not mapped in `compat` does not exist (404), checked before the API key as for any
 * unknown path. The mapping is read per request, so a reload adds or removes it at once.
 */
function mappedRoute(runtime: () => Runtime, api: CompatApiName) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const target = runtime().loaded.config.compat[api];
    if (!target) throw new AppError('not_found', `POST /v1/${api} is not enabled: map it onto a route with compat.${api}.route in gateway.yaml`);
    ctx.state.compatRoute = target.route;
    await next();
  };
}

/**
 * `POST /v1/sendSMS` and `POST /v1/sendWhatsApp` of the SMS/WhatsApp consent stack that Switchboard
 * replaces: `{destination_number, message_body}` with `x-api-key`, translated onto
 * `POST /v1/messages` for the route named in `compat`. Same answer (`202 {id, status}` and
 * `Location`), same `Idempotency-Key` rules; no business rules here.
 *
 * @example
 *   // gateway.yaml: compat: { sendWhatsApp: { route: notify } }
 *   // curl -H 'x-api-key: …' -d '{"destination_number":"+14155550100","message_body":"hi"}' …/v1/sendWhatsApp
 */
export function smsWhatsappRoutes(engine: Engine, runtime: () => Runtime): Router {
  const router = new Router();
  for (const [api, spec] of Object.entries(APIS) as [CompatApiName, CompatApi][]) {
    router.post(`/v1/${api}`, mappedRoute(runtime, api), requireScope(runtime, 'send'), jsonBody, async (ctx) => {
      const body = validateBody<CompatSendBody>(spec.schema, ctx.request.body);
      await acceptAndAnswer(ctx, engine, { route: ctx.state.compatRoute as string, to: spec.to(body.destination_number), content: { text: body.message_body } });
    });
  }
  return router;
}
