import Router from '@koa/router';
import type { Context } from 'koa';
import type { Suppression, SuppressionRef } from '../../engine/suppression.js';
import { AppError } from '../../errors.js';
import type { Channel } from '../../plugin-api.js';
import type { Runtime } from '../../runtime/runtime.js';
import { requireScope, type Caller } from '../auth.js';
import { jsonBody } from '../body.js';
import { oneOf, param } from '../query.js';
import { validateBody } from '../validate.js';

const CHANNELS: readonly Channel[] = ['sms', 'mms', 'whatsapp', 'email'];
const E164 = /^\+[1-9][0-9]{1,14}$/;
// A WhatsApp business-scoped user id (`US.1349…`) for users who message by username, not number.
const BSUID = /^[A-Z]{2}\.[A-Za-z0-9]{1,128}$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

interface AddBody {
  channel: Channel;
  sender?: string;
  provider?: string;
  address: string;
  note?: string;
}

/** What a user address must look like on `channel`; a 400 names the rule. */
function checkAddress(channel: Channel, address: string, where: string): void {
  const bare = address.replace(/^whatsapp:/i, '');
  const ok = channel === 'email' ? EMAIL.test(bare) : E164.test(bare) || (channel === 'whatsapp' && BSUID.test(bare));
  const expected = channel === 'email' ? 'an email address' : channel === 'whatsapp' ? 'an E.164 number or a WhatsApp user id' : 'an E.164 number';
  if (!ok) throw new AppError('validation_failed', `${where} must be ${expected} on ${channel}`, [{ path: where, message: `must be ${expected}` }]);
}

/** The entry a path names: `/v1/suppressions/<channel>/<sender>/<address>`, each segment URL-encoded. */
function refOf(ctx: Context): SuppressionRef {
  const channel = ctx.params.channel as Channel;
  if (!CHANNELS.includes(channel)) throw new AppError('validation_failed', `channel must be one of ${CHANNELS.join(', ')}`);
  checkAddress(channel, ctx.params.address, 'address');
  return { channel, sender: ctx.params.sender, address: ctx.params.address };
}

const location = (e: { channel: string; sender: string; address: string }): string =>
  `/v1/suppressions/${[e.channel, e.sender, e.address].map(encodeURIComponent).join('/')}`;

/**
 * `GET /v1/suppressions?channel=&sender=&address=&limit=&cursor=` (read), `POST /v1/suppressions`
 * (admin), and `GET|DELETE /v1/suppressions/:channel/:sender/:address` (read | admin).
 */
export function suppressionRoutes(suppression: Suppression, runtime: () => Runtime): Router {
  const router = new Router();
  const entries = suppression.entries;

  router.get('/v1/suppressions', requireScope(runtime, 'read'), async (ctx) => {
    const raw = param(ctx, 'limit');
    const limit = raw === undefined ? 50 : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new AppError('validation_failed', 'limit must be an integer from 1 to 500');
    ctx.body = await entries.list({ channel: oneOf(ctx, 'channel', CHANNELS), sender: param(ctx, 'sender'), address: param(ctx, 'address'), limit, cursor: param(ctx, 'cursor') });
  });

  router.post('/v1/suppressions', requireScope(runtime, 'admin'), jsonBody, async (ctx) => {
    const body = validateBody<AddBody>('suppression', ctx.request.body);
    if ((body.sender === undefined) === (body.provider === undefined)) throw new AppError('validation_failed', 'give exactly one of sender and provider');
    checkAddress(body.channel, body.address, '/address');
    if (body.provider !== undefined && !Object.hasOwn(runtime().loaded.config.providers, body.provider)) {
      throw new AppError('validation_failed', `unknown provider "${body.provider}"`, [{ path: '/provider', message: 'is not a configured provider instance' }]);
    }
    const sender = body.sender ?? runtime().senderOf(body.provider!, body.channel);
    const caller = ctx.state.caller as Caller;
    const detail = body.note ? `${caller.name}: ${body.note}` : caller.name;
    const { entry, created } = await entries.add({ channel: body.channel, sender, address: body.address }, 'api', detail);
    ctx.status = created ? 201 : 200;
    ctx.set('Location', location(entry));
    ctx.body = entry;
  });

  router.get('/v1/suppressions/:channel/:sender/:address', requireScope(runtime, 'read'), async (ctx) => {
    const entry = await entries.find(refOf(ctx));
    if (!entry) throw new AppError('not_found', 'no such suppression entry');
    ctx.body = entry;
  });

  router.delete('/v1/suppressions/:channel/:sender/:address', requireScope(runtime, 'admin'), async (ctx) => {
    const removed = await entries.remove(refOf(ctx));
    if (!removed) throw new AppError('not_found', 'no such suppression entry');
    ctx.status = 204;
  });

  return router;
}
