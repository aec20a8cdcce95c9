import Router from '@koa/router';
import type { Outbox } from '../../callbacks/outbox.js';
import { AppError } from '../../errors.js';
import type { Redactor } from '../../log/redact.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { ReloadResult } from '../../runtime/reloader.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../store/store.js';
import { requireScope } from '../auth.js';

export interface OpsDeps {
  runtime: () => Runtime;
  metrics: Metrics;
  store: Store;
  outbox: Outbox;
  redact: Redactor;
  ready: () => boolean;
  reload: () => Promise<ReloadResult>;
}

/** Health, readiness, metrics, reload, masked config, dead letters. */
export function opsRoutes(deps: OpsDeps): Router {
  const router = new Router();
  const admin = requireScope(deps.runtime, 'admin');

  router.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
  router.get('/-/healthy', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/-/ready', (ctx) => {
    if (!deps.ready()) throw new AppError('not_ready', 'starting: recovering stored timers');
    ctx.body = { status: 'ready', configHash: deps.runtime().loaded.hash };
  });
  router.post('/-/reload', admin, async (ctx) => {
    const result = await deps.reload();
    if (!result.ok) throw new AppError('config_invalid', 'the new configuration was refused; the previous one keeps serving', result.errors);
    ctx.body = { status: 'reloaded', configHash: result.configHash ?? deps.runtime().loaded.hash, restartRequired: result.restartRequired ?? [] };
  });
  router.get('/-/config', admin, (ctx) => {
    ctx.body = deps.redact(deps.runtime().loaded.config);
  });
  router.get('/v1/dead-letters', admin, (ctx) => {
    ctx.body = { items: [...deps.store.deadLetters.values()] };
  });
  router.post('/v1/dead-letters/:id/replay', admin, async (ctx) => {
    if (!(await deps.outbox.replay(ctx.params.id))) throw new AppError('not_found', `dead letter ${ctx.params.id} does not exist`);
    ctx.status = 202;
    ctx.body = { id: ctx.params.id, status: 'requeued' };
  });
  return router;
}
