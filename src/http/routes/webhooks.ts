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
 * A callback as the pipeline reads it. The URL and the query are worked out when first read: only
 * providers that sign the URL (Twilio) need it, Koa's host is not free, and Koa parses the query
 * string at each read (1 % of a receipt). A class, since an object literal with getters is built
 * through the runtime: 0.8 µs a callback, against 0.03.
 */
class ReceivedWebhook implements WebhookRequest {
  readonly method: string;
  readonly headers: WebhookRequest['headers'];
  readonly rawBody: string;
  readonly body: unknown;
  readonly #ctx: Context;
  readonly #runtime: Runtime;
  #url: string | undefined;

  constructor(ctx: Context, runtime: Runtime) {
    this.#ctx = ctx;
    this.#runtime = runtime;
    this.method = ctx.method;
    this.headers = ctx.headers;
    this.rawBody = String(ctx.request.rawBody ?? '');
    this.body = ctx.request.body;
  }

  get url(): string {
    this.#url ??= publicUrlOf(this.#ctx, this.#runtime);
    return this.#url;
  }

  get query(): WebhookRequest['query'] {
    return this.#ctx.query;
  }
}

/**
 * Reads a provider callback for the pipeline: the body parsed leniently (JSON, form or text) and
 * the URL as the provider called it. Compatibility paths (`/callbacks/…`) read theirs the same way.
 * Its URL and query are getters: a copy names them (`{ ...req }` would drop them).
 */
export async function readWebhookRequest(ctx: Context, runtime: Runtime): Promise<WebhookRequest> {
  await bodyParsersOf(ctx).webhook(ctx);
  return new ReceivedWebhook(ctx, runtime);
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
