import { AppError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { WebhookEvent, WebhookReply, WebhookRequest } from '../plugin-api.js';
import type { Runtime } from '../runtime/runtime.js';

export interface WebhookPipelineDeps {
  runtime: () => Runtime;
  metrics: Metrics;
  logger: Logger;
  /** Stores and applies one event; resolves once it is on disk. Returns a metric result label. */
  ingest: (instance: string, event: WebhookEvent) => Promise<string>;
}

const REJECTIONS = { 400: 'bad_request', 401: 'unauthorized', 403: 'signature_invalid', 415: 'unsupported_media_type' } as const;

/**
 * Verify → parse → store → answer, for every provider callback, whether it came over HTTP or
 * through a plugin's loopback. Answers only after every event is stored.
 */
export function createWebhookPipeline(deps: WebhookPipelineDeps) {
  return async function handleWebhook(instance: string, kind: string, req: WebhookRequest): Promise<WebhookReply> {
    const provider = deps.runtime().providers.get(instance);
    const handler = provider?.webhooks?.[kind];
    if (!handler) throw new AppError('not_found', `no webhook ${kind} for provider instance ${instance}`);
    const count = (result: string) => deps.metrics.webhooks.inc({ provider: instance, kind, result });

    let result;
    try {
      result = await handler(req);
    } catch (err) {
      // A plugin should return a rejection for bad input; a throw is still the caller's 400, not our 500.
      deps.logger.warn({ err, provider: instance, kind }, 'webhook handler threw');
      count('invalid');
      throw new AppError('bad_request', 'the callback could not be parsed');
    }
    if (!result.ok) {
      count(result.status === 401 || result.status === 403 ? 'rejected_signature' : 'invalid');
      throw new AppError(REJECTIONS[result.status], result.reason);
    }
    for (const event of result.events) count(await deps.ingest(instance, event));
    if (result.events.length === 0) count('empty');
    return result.reply ?? { status: 200 };
  };
}

export type WebhookPipeline = ReturnType<typeof createWebhookPipeline>;
