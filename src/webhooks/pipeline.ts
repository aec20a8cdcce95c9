import { AppError, errorCodeForStatus } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { AgentEvent, ContactCenterWebhookHandler, WebhookEvent, WebhookHandler, WebhookReply, WebhookRequest } from '../plugin-api.js';
import type { Runtime } from '../runtime/runtime.js';

export interface WebhookPipelineDeps {
  runtime: () => Runtime;
  metrics: Metrics;
  logger: Logger;
  /** Stores and applies one event; resolves once it is on disk. Returns a metric result label. */
  ingest: (instance: string, event: WebhookEvent | AgentEvent) => Promise<string>;
}

/** The handler for `kind`, looked up as an own property: `constructor` or `__proto__` is no webhook. */
type AnyHandler = WebhookHandler | ContactCenterWebhookHandler;

function handlerOf(webhooks: Readonly<Record<string, AnyHandler>> | undefined, kind: string): AnyHandler | undefined {
  if (!webhooks || !Object.hasOwn(webhooks, kind)) return undefined;
  const handler = webhooks[kind];
  return typeof handler === 'function' ? handler : undefined;
}

/**
 * Verify → parse → store → answer, for every provider callback, whether it came over HTTP or
 * through a plugin's loopback. Answers only after every event is stored. `req` may be a function
 * that reads it, so an HTTP body is read only for an instance and kind that exist.
 */
export function createWebhookPipeline(deps: WebhookPipelineDeps) {
  return async function handleWebhook(instance: string, kind: string, req: WebhookRequest | (() => Promise<WebhookRequest>), method: 'POST' | 'GET' = 'POST'): Promise<WebhookReply> {
    const provider = deps.runtime().providers.get(instance) as { webhooks?: Readonly<Record<string, AnyHandler>>; handshakes?: Readonly<Record<string, AnyHandler>> } | undefined;
    const handler = handlerOf(method === 'GET' ? provider?.handshakes : provider?.webhooks, kind);
    if (!handler) throw new AppError('not_found', `no webhook ${method === 'GET' ? 'handshake ' : ''}${kind} for provider instance ${instance}`);
    const count = (result: string) => deps.metrics.webhooks.inc({ provider: instance, kind, result });
    const request = typeof req === 'function' ? await req() : req;

    let result;
    try {
      result = await handler(request);
    } catch (err) {
      // A plugin should return a rejection for bad input; a throw is still the caller's 400, not our 500.
      deps.logger.warn({ err, provider: instance, kind, reason: 'unparsable' }, `${instance}: webhook ${kind} failed: the handler threw`);
      count('invalid');
      throw new AppError('bad_request', 'the callback could not be parsed');
    }
    if (!result.ok) {
      deps.logger.warn({ provider: instance, kind, status: result.status, reason: result.reason }, `${instance}: webhook ${kind} refused (${result.status}): ${result.reason}`);
      count(result.status !== 401 && result.status !== 403 ? 'invalid' : result.auth === 'credentials' ? 'rejected_credentials' : 'rejected_signature');
      throw new AppError(errorCodeForStatus(result.status, 'webhook') ?? 'bad_request', result.reason);
    }
    for (const event of result.events) count(await deps.ingest(instance, event));
    const ignored = 'ignored' in result ? (result.ignored ?? 0) : 0;
    if (ignored > 0) deps.metrics.webhooks.inc({ provider: instance, kind, result: 'ignored' }, ignored);
    if (method === 'GET') count('handshake');
    else if (result.events.length === 0 && ignored === 0) count('empty');
    return result.reply ?? { status: 200 };
  };
}

export type WebhookPipeline = ReturnType<typeof createWebhookPipeline>;
