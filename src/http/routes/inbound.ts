import Router from '@koa/router';
import { toApiPage } from '../../store/paging.js';
import type { Channel } from '../../plugin-api.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../store/store.js';
import { requireScope } from '../auth.js';
import { oneOf, page, param, timeParam } from '../query.js';

const CHANNELS: readonly Channel[] = ['whatsapp', 'sms', 'mms', 'email'];

/** `GET /v1/inbound?instance=&channel=&from=&to=&since=&cursor=&limit=`: stored inbound messages, newest first. */
export function inboundRoutes(store: Store, runtime: () => Runtime): Router {
  const router = new Router();
  router.get('/v1/inbound', requireScope(runtime, 'read'), async (ctx) => {
    const { limit, cursor } = page(ctx);
    const instance = param(ctx, 'instance');
    const channel = oneOf(ctx, 'channel', CHANNELS);
    const from = param(ctx, 'from');
    const to = param(ctx, 'to');
    const found = await store.inbound.list({
      before: cursor,
      since: timeParam(ctx, 'since'),
      limit: limit + 1,
      filter: (r) => (!instance || r.instance === instance) && (!channel || r.channel === channel) && (!from || r.from === from) && (!to || r.to === to),
    });
    ctx.body = toApiPage(found, limit);
  });
  return router;
}
