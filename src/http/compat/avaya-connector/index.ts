import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Clock } from '../../../clock.js';
import type { AvayaConnectorConfig } from '../../../config/types.js';
import { AppError } from '../../../errors.js';
import type { Runtime } from '../../../runtime/runtime.js';
import type { WebhookPipeline } from '../../../webhooks/pipeline.js';
import { requireScope } from '../../auth.js';
import { jsonBody } from '../../body.js';
import { readWebhookRequest } from '../../routes/webhooks.js';
import { validateBody } from '../../validate.js';
import { SAMPLE_FIELDS, answer, sampleCurlAsMockInbound } from './callbacks.js';
import { connectorInstances, isMockMode, requestedChange, sampleConfigView } from './sample-config.js';
import { createOverlayUpdater, type OverlayUpdaterDeps } from './update.js';

export interface AvayaConnectorDeps extends OverlayUpdaterDeps {
  pipeline: WebhookPipeline;
  clock: Clock;
}

const SERVICE = 'avaya-infinity-twilio-sms-connector';

/**
 * Without `compat.avayaConnector` these paths do not exist (404), checked before any API key. The
 * setting is read per request, so a reload turns the API on or off at once.
 */
function enabled(runtime: () => Runtime) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const connector = runtime().loaded.config.compat.avayaConnector;
    if (!connector) throw new AppError('not_found', `no route for ${ctx.method} ${ctx.path}: the Avaya connector's API is off (compat.avayaConnector in gateway.yaml)`);
    ctx.state.connector = connector;
    await next();
  };
}

const connectorOf = (ctx: Context): AvayaConnectorConfig => ctx.state.connector as AvayaConnectorConfig;

/**
 * The API of Avaya's sample Twilio SMS connector, translated onto the gateway (no business rules
 * here): health; the configuration, read masked and updated through the config overlay and a
 * reload; and its two callback paths, which are the twilio instance's `inbound` webhook and the
 * bridge's contact center's `events` webhook, through the same pipeline as `/webhooks/…`.
 *
 * @example
 *   // gateway.yaml: compat: { avayaConnector: { bridge: support, twilio: twilio-us } }
 *   // curl …/api/health → {"status":"healthy","timestamp":"…","service":"avaya-infinity-twilio-sms-connector"}
 */
export function avayaConnectorRoutes(deps: AvayaConnectorDeps): Router {
  const { runtime } = deps;
  const router = new Router();
  const on = enabled(runtime);
  const admin = requireScope(runtime, 'admin');
  const update = createOverlayUpdater(deps);

  router.get('/api/health', on, (ctx) => {
    ctx.body = { status: 'healthy', timestamp: new Date(deps.clock.now()).toISOString(), service: SERVICE };
  });

  router.get('/api/configs', on, admin, (ctx) => {
    ctx.body = { success: true, config: sampleConfigView(runtime().loaded.config, connectorOf(ctx)) };
  });

  router.post('/api/configs', on, admin, async (ctx, next) => {
    if (!connectorOf(ctx).allowUpdates) throw new AppError('forbidden', 'POST /api/configs is off: set compat.avayaConnector.allowUpdates: true in gateway.yaml to let it write credentials');
    await next();
  }, jsonBody, async (ctx) => {
    const body = validateBody<{ twilio?: Record<string, unknown>; avaya?: Record<string, unknown> }>('avaya-configs', ctx.request.body);
    const connector = connectorOf(ctx);
    const change = requestedChange(body, runtime().loaded.config, connector);
    const names = connectorInstances(runtime().loaded.config, connector);
    const { changed } = await update({ [names.twilio]: change.twilio, [names.avaya]: change.avaya }, change.secrets);
    // The reload may have changed the connector itself; answer with what serves now.
    const serving = runtime().loaded.config.compat.avayaConnector ?? connector;
    ctx.body = {
      success: true,
      message: changed.size > 0 ? 'Configuration updated successfully' : 'Nothing to change',
      config: sampleConfigView(runtime().loaded.config, serving),
      changes: { twilioChanged: changed.has(names.twilio), avayaChanged: changed.has(names.avaya) },
    };
  });

  router.post('/callbacks/twilio/sms', on, async (ctx) => {
    const { twilio } = connectorInstances(runtime().loaded.config, connectorOf(ctx));
    const mock = isMockMode(runtime().loaded.config, connectorOf(ctx));
    try {
      const reply = await deps.pipeline(twilio, 'inbound', async () => {
        const req = await readWebhookRequest(ctx, runtime());
        return mock ? sampleCurlAsMockInbound(req) : req;
      });
      answer(ctx, reply);
    } catch (err) {
      // The mock's own complaint names its JSON fields; a caller of this path sent the sample's.
      if (mock && err instanceof AppError && err.code === 'bad_request') throw new AppError('bad_request', `expected ${SAMPLE_FIELDS}`);
      throw err;
    }
  });

  router.post('/callbacks/avaya/infinity/sms', on, async (ctx) => {
    const { avaya } = connectorInstances(runtime().loaded.config, connectorOf(ctx));
    answer(ctx, await deps.pipeline(avaya, 'events', () => readWebhookRequest(ctx, runtime())));
  });

  return router;
}
