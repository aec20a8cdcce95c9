/**
 * The plugin contract: the only module in `src/` that code under `plugins/` may import.
 * It re-exports the types, the typed errors and the helpers a provider plugin needs.
 *
 * @example
 *   import { type PluginDefinition, ProviderError } from '../../src/plugin-api.js';
 *   export const examplePlugin: PluginDefinition<ExampleOptions> = {
 *     name: 'example', optionsSchema, channels: () => ['sms'], create: (options, deps) => ({ … }),
 *   };
 */
import type { ProviderSignal } from './errors.js';
export { ProviderError, classifyStatus, isRetryableReason } from './errors.js';
export type { ProviderErrorReason, ProviderErrorInit, ProviderSignal } from './errors.js';
export type { Clock } from './clock.js';
export type { Logger } from './log/logger.js';
export { createHttpClient, type HttpClient, type HttpRequest, type HttpResponse } from './plugin-kit/http-client.js';
export { safeEqual, basicAuthMatches, hmacSha256 } from './plugin-kit/signatures.js';
export { createTokenCache, type TokenCache, type TokenCacheOptions } from './plugin-kit/oauth-token-cache.js';
export { parseDuration } from './config/duration.js';
export { createIdFactory } from './ids.js';
export { readSchema } from './schemas.js';
export { smsSegments, type SmsSegments, type SmsEncoding } from './plugin-kit/sms-segments.js';
export { retryAfterMs } from './plugin-kit/retry-after.js';

/** A delivery channel. A contact-center side speaks `text`, which is not a provider channel. */
export type Channel = 'whatsapp' | 'sms' | 'mms' | 'email';
export const CHANNELS: readonly Channel[] = ['whatsapp', 'sms', 'mms', 'email'];

/** The normalized attempt status every plugin maps its provider's statuses onto. */
export type AttemptStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'undelivered';

export interface TemplateContent {
  name: string;
  language?: string;
  /** Positional (`["Ann"]`) or named (`{"1": "Ann"}`) variables, as the provider expects them. */
  variables?: Record<string, string> | string[];
}

/** What to send on one channel, after per-channel overrides were applied. */
export interface ResolvedContent {
  text?: string;
  subject?: string;
  html?: string;
  media?: string[];
  template?: TemplateContent;
}

export interface OutboundMessage {
  /** The gateway's id for this attempt; providers that accept a tag should carry it. */
  attemptId: string;
  messageId: string;
  channel: Channel;
  /** The recipient address on this channel (E.164 for phone channels, an email address for email). */
  to: string;
  /**
   * The business sender the message must leave from (a reply from the number the customer wrote
   * to); the core checked the instance may use it. Absent: the instance's own sender.
   */
  from?: string;
  content: ResolvedContent;
  /** Where this instance's status webhook is reachable from the provider, if the config says. */
  statusCallbackUrl?: string;
}

export interface SendReceipt {
  providerMessageId: string;
  status: AttemptStatus;
  /** Extra facts kept on the attempt (segment count, encoding, price…). Never secrets. */
  details?: Record<string, unknown>;
}

/** A provider callback as the HTTP layer received it. */
export interface WebhookRequest {
  method: string;
  /** The public URL the provider called (from `server.publicUrl` + path + query). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string | string[] | undefined>;
  /** The body exactly as received, for signature checks. */
  rawBody: string;
  /** The body parsed by content type (JSON object/array, or form fields). */
  body: unknown;
}

export interface StatusEvent {
  type: 'status';
  signal?: ProviderSignal;
  providerMessageId: string;
  status: AttemptStatus;
  errorCode?: string;
  errorReason?: string;
  /** When the provider says it happened (ISO 8601); defaults to receipt time. */
  at?: string;
  details?: Record<string, unknown>;
}

export interface InboundEvent {
  type: 'inbound';
  channel: Channel;
  from: string;
  to: string;
  text?: string;
  media?: string[];
  providerMessageId: string;
  receivedAt?: string;
  details?: Record<string, unknown>;
}

export type WebhookEvent = StatusEvent | InboundEvent;

/** What to answer the provider with once the events are stored (default 200, empty). */
export interface WebhookReply {
  status?: number;
  contentType?: string;
  body?: string;
}

export type WebhookResult =
  | { ok: true; events: WebhookEvent[]; reply?: WebhookReply }
  | { ok: false; status: 400 | 401 | 403 | 415; reason: string };

/** Verifies and parses one kind of callback. Returns a rejection for bad input; never throws for it. */
export type WebhookHandler = (req: WebhookRequest) => WebhookResult | Promise<WebhookResult>;

export interface Provider {
  send(message: OutboundMessage, options: { signal: AbortSignal }): Promise<SendReceipt>;
  /** Webhook kinds this instance answers at `POST /webhooks/<instance>/<kind>`. */
  webhooks?: Readonly<Record<string, WebhookHandler>>;
  close?(): Promise<void>;
}

/** What the runtime gives each provider instance. Nothing comes from globals or `process.env`. */
export interface PluginDeps {
  /** The instance name from `gateway.yaml` (`twilio-us`). */
  instance: string;
  logger: import('./log/logger.js').Logger;
  clock: import('./clock.js').Clock;
  http: import('./plugin-kit/http-client.js').HttpClient;
  metrics: PluginMetrics;
  /** `https://gw.example.com/webhooks/<instance>/<kind>`, or undefined without `server.publicUrl`. */
  webhookUrl(kind: string): string | undefined;
  /**
   * Feeds a callback into the same pipeline an HTTP webhook takes (verify, parse, store, ingest).
   * The `mock` plugin uses it to deliver its scripted receipts.
   */
  loopback(kind: string, request: Pick<WebhookRequest, 'headers' | 'rawBody' | 'body'>): Promise<void>;
}

export interface PluginMetrics {
  /** Times a provider request that is not a send (token fetch, media upload). */
  time<T>(operation: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * A built-in or user plugin. `options` reaching `create` were validated against `optionsSchema`
 * (defaults applied) and frozen.
 */
export interface PluginDefinition<O = Record<string, unknown>> {
  name: string;
  /** `contact-center`: the instance is a contact center a bridge joins (Avaya Infinity), not a route provider. */
  kind?: 'provider' | 'contact-center';
  optionsSchema: Record<string, unknown>;
  /**
   * The business sender an instance with these options sends from on `channel` (E.164, a sender
   * id, a pool id): consent windows and suppression are kept per sender. Default: the `from` option.
   */
  sender?(options: O, channel: Channel): string | undefined;
  /** The channels an instance with these options can send on; checked against routes at load. */
  channels(options: O): readonly Channel[];
  create(options: O, deps: PluginDeps): Provider;
}
