import Router from '@koa/router';
import type { Outbox } from '../../callbacks/outbox.js';
import { AppError } from '../../errors.js';
import { createRedactor, type Redactor } from '../../log/redact.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { ReloadResult } from '../../runtime/reloader.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../store/store.js';
import { requireScope } from '../auth.js';
import { jsonBody } from '../body.js';
import { isUlid, page } from '../query.js';

export interface OpsDeps {
  runtime: () => Runtime;
  metrics: Metrics;
  store: Store;
  outbox: Outbox;
  redact: Redactor;
  ready: () => boolean;
  /**
   * `secrets` in a refused result: those of the refused file, as far as it was read, so the answer
   * masks them as well as the serving config's (which `redact` knows).
   */
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
  router.post('/-/reload', admin, jsonBody, async (ctx) => {
    const result = await deps.reload();
    if (!result.ok) {
      // A refused file's errors quote it (key names, plugin paths): mask the secrets of both configs.
      const refusedSecrets = result.secrets ?? new Set<string>();
      const details = createRedactor(() => refusedSecrets)(deps.redact(result.errors ?? []));
      throw new AppError('config_invalid', 'the new configuration was refused; the previous one keeps serving', details);
    }
    ctx.body = { status: 'reloaded', configHash: result.configHash ?? deps.runtime().loaded.hash, restartRequired: result.restartRequired ?? [] };
  });
  router.get('/-/config', admin, (ctx) => {
    ctx.body = deps.redact(deps.runtime().loaded.config);
  });
  router.get('/v1/dead-letters', admin, async (ctx) => {
    const { limit, cursor } = page(ctx);
    // Ids are time-ordered: newest first, and a page goes on below the cursor.
    const older = (await deps.store.deadLetters.all()).filter((d) => cursor === undefined || d.id < cursor).sort((a, b) => (a.id < b.id ? 1 : -1));
    const items = older.slice(0, limit);
    ctx.body = older.length > limit ? { items, nextCursor: items.at(-1)!.id } : { items };
  });
  router.post('/v1/dead-letters/:id/replay', admin, jsonBody, async (ctx) => {
    if (!isUlid(ctx.params.id) || !(await deps.outbox.replay(ctx.params.id))) throw new AppError('not_found', `dead letter ${ctx.params.id} does not exist`);
    ctx.status = 202;
    ctx.body = { id: ctx.params.id, status: 'requeued' };
  });
  router.delete('/v1/dead-letters/:id', admin, async (ctx) => {
    if (!isUlid(ctx.params.id) || !(await deps.outbox.discard(ctx.params.id))) throw new AppError('not_found', `dead letter ${ctx.params.id} does not exist`);
    ctx.status = 204;
  });
  return router;
}
