import Router from '@koa/router';
import type { Context } from 'koa';
import type { WebhookRequest } from '../../plugin-api.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { WebhookPipeline } from '../../webhooks/pipeline.js';
import { bodyParsersOf } from '../body.js';

/** The URL the provider called, as the provider saw it (behind a proxy: `server.publicUrl`). */
function publicUrlOf(ctx: Context, runtime: Runtime): string {
  const base = runtime.loaded.config.server.publicUrl?.replace(/\/+$/, '');
  return `${base ?? `${ctx.protocol}://${ctx.host}`}${ctx.originalUrl}`;
}

/**
 * Reads a provider callback for the pipeline: the body parsed leniently (JSON, form or text) and
 * the URL as the provider called it. Compatibility paths (`/callbacks/…`) read theirs the same way.
 */
export async function readWebhookRequest(ctx: Context, runtime: Runtime): Promise<WebhookRequest> {
  await bodyParsersOf(ctx).webhook(ctx);
  let url: string | undefined;
  return {
    method: ctx.method,
    // Built when read: only providers that sign the URL (Twilio) need it, and Koa's host is not free.
    get url() {
      url ??= publicUrlOf(ctx, runtime);
      return url;
    },
    headers: ctx.headers,
    // Koa parses the query string at each read of `ctx.query` (1 % of a receipt); few providers look.
    get query() {
      return ctx.query;
    },
    rawBody: String(ctx.request.rawBody ?? ''),
    body: ctx.request.body,
  };
}

/**
 * `POST /webhooks/<instance>/<kind>`: authenticated by each provider's own scheme, not API keys.
 * Seed paths such as `/webhooks/bandwidth/inbound` are this same route for an instance named
 * `bandwidth`. `GET` reaches only the kinds a provider lists as handshakes (Meta's subscription
 * check); any other `GET` is a 404.
 */
export function webhookRoutes(pipeline: WebhookPipeline, runtime: () => Runtime): Router {
  const router = new Router();
  const handle = (method: 'POST' | 'GET') => async (ctx: Context) => {
    const reply = await pipeline(ctx.params.instance, ctx.params.kind, () => readWebhookRequest(ctx, runtime()), method);
    ctx.status = reply.status ?? 200;
    for (const [name, value] of Object.entries(reply.headers ?? {})) ctx.set(name, value);
    if (reply.contentType) ctx.type = reply.contentType;
    ctx.body = reply.body ?? '';
  };
  router.post('/webhooks/:instance/:kind', handle('POST'));
  // Subscription handshakes (Meta's hub.challenge), for kinds whose provider has one.
  router.get('/webhooks/:instance/:kind', handle('GET'));
  // Only kinds that asked for it: everywhere else OPTIONS keeps the router's `Allow` answer.
  router.options('/webhooks/:instance/:kind', async (ctx, next) => {
    const provider = runtime().providers.get(ctx.params.instance);
    if (!provider?.webhookOptions?.has(ctx.params.kind)) return next();
    await handle('POST')(ctx);
  });
  return router;
}
