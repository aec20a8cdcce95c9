import Router from '@koa/router';
import type { Clock } from '../../clock.js';
import { isWhatsAppUser } from '../../engine/consent/pairs.js';
import { consentState } from '../../engine/consent/state.js';
import { AppError } from '../../errors.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../store/store.js';
import { requireScope } from '../auth.js';

/** `GET /v1/consent/whatsapp/:address`: the user's window, held messages and opt-ins, per business sender. */
export function consentRoutes(store: Store, runtime: () => Runtime, clock: Clock): Router {
  const router = new Router();
  router.get('/v1/consent/whatsapp/:address', requireScope(runtime, 'read'), async (ctx) => {
    const address = String(ctx.params.address);
    if (!isWhatsAppUser(address)) {
      throw new AppError('validation_failed', 'address must be a WhatsApp number (E.164, e.g. +15551234567)', [{ path: '/address', message: 'not a WhatsApp number' }]);
    }
    ctx.body = await consentState(store, runtime(), address, clock.now());
  });
  return router;
}
