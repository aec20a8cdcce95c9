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
import type { Until } from './config/types.js';
import type { ProviderSignal } from './errors.js';
export { ProviderError, classifyStatus, isRetryableReason } from './errors.js';
export type { ProviderErrorReason, ProviderErrorInit, ProviderSignal } from './errors.js';
export type { Clock } from './clock.js';
export type { Until } from './config/types.js';
export type { Logger } from './log/logger.js';
export { createHttpClient, type HttpClient, type HttpRequest, type HttpResponse } from './plugin-kit/http-client.js';
export { safeEqual, matchesSecret, basicAuthMatches, hmacSha256 } from './plugin-kit/signatures.js';
export { createTokenCache, type TokenCache, type TokenCacheOptions } from './plugin-kit/oauth-token-cache.js';
export { parseDuration } from './config/duration.js';
export { createIdFactory } from './ids.js';
export { readSchema } from './schemas.js';
export { smsSegments, type SmsSegments, type SmsEncoding } from './plugin-kit/sms-segments.js';
export { retryAfterMs } from './plugin-kit/retry-after.js';
export { lazyImport } from './plugin-kit/lazy-import.js';
export { timedOut, withDeadline } from './plugin-kit/deadline.js';
export { awsClientConfig, type AwsClientConfig, type AwsConnectionOptions } from './plugin-kit/aws/client-config.js';
export { toAwsProviderError, type AwsErrorRule, type AwsFailureContext } from './plugin-kit/aws/errors.js';
export { awsCall, lazyAwsClient, type AwsCallOptions, type LazyAwsClient } from './plugin-kit/aws/call.js';
export { awsOptionsSchema } from './plugin-kit/aws/options-schema.js';
export { createAwsProvider, requireId, type AwsProviderSpec } from './plugin-kit/aws/provider.js';
export { AWS_SIGNING_CERT_URL_PATTERN, createSnsReceiver, type SnsEnvelope, type SnsNotificationParser, type SnsOptions, type SnsReceiver, snsWebhooks } from './plugin-kit/aws/sns.js';
export { sharedSecretMatches, type SecretPlaces } from './plugin-kit/shared-secret.js';
export { mediaKindOf, fileNameOf, type MediaKind } from './plugin-kit/media-kind.js';
export { answerError, summarizeErrorBody, jsonBodyOf, type ErrorSummary } from './plugin-kit/error-answers.js';

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
  /** The provider message id this message answers (WhatsApp `context.message_id`); providers without threads ignore it. */
  replyTo?: string;
  /** SMS: the traffic class, where the provider distinguishes them (AWS End User Messaging); default the instance's. */
  messageType?: 'transactional' | 'promotional';
  /** The provider's configuration set for this message (AWS SES and End User Messaging); default the instance's. */
  configurationSet?: string;
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
  /** Extra response headers (a CloudEvents handshake's `WebHook-Allowed-Origin`). */
  headers?: Readonly<Record<string, string>>;
}

export type WebhookResult =
  /** `ignored` counts parts of a valid callback not used: another instance's (a different phone number id) or unknown event types; for the webhook metric. */
  | { ok: true; events: WebhookEvent[]; reply?: WebhookReply; ignored?: number }
  | WebhookRejection;

/**
 * A callback refused. A 401/403 counts as `rejected_signature` in `switchboard_webhooks_total`,
 * or as `rejected_credentials` when `auth` says the caller presented a shared secret, token or
 * HTTP Basic credentials rather than a signature over the request.
 */
export interface WebhookRejection {
  ok: false;
  status: 400 | 401 | 403 | 415;
  reason: string;
  auth?: 'credentials';
}

/** Verifies and parses one kind of callback. Returns a rejection for bad input; never throws for it. */
export type WebhookHandler = (req: WebhookRequest) => WebhookResult | Promise<WebhookResult>;

export interface Provider {
  send(message: OutboundMessage, options: { signal: AbortSignal }): Promise<SendReceipt>;
  /** Webhook kinds this instance answers at `POST /webhooks/<instance>/<kind>`. */
  webhooks?: Readonly<Record<string, WebhookHandler>>;
  /**
   * Kinds this instance answers at `GET /webhooks/<instance>/<kind>`: subscription handshakes
   * (Meta's `hub.challenge`). They verify like any webhook and usually return no events.
   */
  handshakes?: Readonly<Record<string, WebhookHandler>>;
  /**
   * Kinds whose handler also answers `OPTIONS` (the CloudEvents webhook handshake Event Grid
   * sends before its first delivery); elsewhere OPTIONS gets the router's plain answer.
   */
  webhookOptions?: ReadonlySet<string>;
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
  /** Times a provider request that is not a send (token fetch, media upload); a throw counts as a failure. */
  time<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  /** Counts a failure of such a request that answered instead of throwing (a token endpoint's 401). */
  failed(operation: string): void;
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
  /**
   * The furthest status an instance's receipts can ever report on `channel` (SMTP: `sent`, since
   * a relay gives no delivery receipt). A step whose `until` asks for more is a config error, not
   * a wait that always times out. Default: `read`.
   */
  furthestStatus?(options: O, channel: Channel): Until;
  create(options: O, deps: PluginDeps): Provider;
}

// ---- Contact centers (a second plugin kind: not a route provider, the far end of a bridge) ----

/**
 * A message the contact center reports on its events webhook: an agent's or a bot's reply to a
 * customer, or (with an all-participants subscription) the customer's own message echoed back.
 * The bridge forwards the sender types it is told to and skips the rest; the core de-duplicates
 * by `eventId`, since contact centers redeliver.
 */
export interface AgentEvent {
  type: 'agent';
  /** The contact center's id for this delivery of the event; the same event redelivered keeps it. */
  eventId: string;
  /** Who wrote it, lower case. Well-known: `agent`, `bot`, `customer`, `system`; `unknown` when the event says nothing. */
  senderType: 'agent' | 'bot' | 'customer' | 'system' | 'unknown' | (string & {});
  /** The customer's address (for an echo of the customer's own message, the business side). */
  to: string;
  /** The business number or id the reply should leave from, when the event names it. */
  from?: string;
  text: string;
  /** The contact center's conversation, to remember per (customer, business number). */
  conversationId?: string;
  /** The contact center's own channel name (`text`, `messaging`), not a provider channel. */
  channel?: string;
  /** The contact center's id of the message itself. */
  providerMessageId?: string;
  /** When the contact center says it happened (ISO 8601). */
  at?: string;
  details?: Record<string, unknown>;
}

export type ContactCenterWebhookResult =
  | { ok: true; events: AgentEvent[]; reply?: WebhookReply }
  | WebhookRejection;

/**
 * Verifies and parses one kind of contact-center callback; like {@link WebhookHandler}, it returns
 * a rejection for bad input and never throws for it.
 */
export type ContactCenterWebhookHandler = (req: WebhookRequest) => ContactCenterWebhookResult | Promise<ContactCenterWebhookResult>;

/**
 * One customer message for the contact center: what a bridge read from a stored inbound event.
 *
 * @example
 *   await avaya.deliver({ inboundId: '01J…', providerMessageId: 'SM…', receivedAt: '2026-11-29T00:00:00Z',
 *     provider: 'twilio-us', channel: 'sms', from: '+15551230000', to: '+15557654321', text: 'Hi' }, { signal });
 */
export interface ContactCenterDelivery {
  /** The gateway's id of the stored inbound message; stable across retries of this delivery. */
  inboundId: string;
  /** The customer-side provider's id of the message (Twilio's MessageSid…), when it gave one. */
  providerMessageId?: string;
  /** When the customer's message arrived (ISO 8601). */
  receivedAt: string;
  /** The customer-side provider instance it came through (`twilio-us`). */
  provider: string;
  /** The customer's channel. */
  channel: Channel;
  /** The customer's address on that channel. */
  from: string;
  /** The business number or id the customer wrote to. */
  to: string;
  text?: string;
  media?: string[];
  /** The conversation the contact center gave this (customer, business number) before, if known. */
  conversationId?: string;
  /** Extra context for the agent (city, campaign…), as short strings; the plugin may drop what its API cannot carry. */
  context?: Readonly<Record<string, string>>;
}

export interface ContactCenterReceipt {
  /** The conversation the contact center filed the message under. */
  conversationId?: string;
  /** The contact center's id of the message. */
  providerMessageId?: string;
  /** Extra facts to keep with the delivery. Never secrets. */
  details?: Record<string, unknown>;
}

/** An instance of a contact-center plugin: it takes customer messages and reports agent replies. */
export interface ContactCenter {
  readonly kind: 'contact-center';
  /** One customer message in; throws a classified ProviderError like `Provider.send`, and never retries by itself. */
  deliver(message: ContactCenterDelivery, options: { signal: AbortSignal }): Promise<ContactCenterReceipt>;
  /** Webhook kinds this instance answers at `POST /webhooks/<instance>/<kind>`. */
  webhooks?: Readonly<Record<string, ContactCenterWebhookHandler>>;
  close?(): Promise<void>;
}

/**
 * A contact-center plugin. Built like any instance (validated options, the same deps), but it is
 * no route provider: `channels` is empty, so a route step naming one fails the config check.
 */
export interface ContactCenterPluginDefinition<O = Record<string, unknown>> {
  name: string;
  kind: 'contact-center';
  optionsSchema: Record<string, unknown>;
  channels(options: O): readonly Channel[];
  create(options: O, deps: PluginDeps): ContactCenter;
}

/** Narrows a built instance (the runtime holds both kinds) to a contact center. */
export function isContactCenter(instance: unknown): instance is ContactCenter {
  return typeof instance === 'object' && instance !== null && (instance as { kind?: unknown }).kind === 'contact-center'
    && typeof (instance as { deliver?: unknown }).deliver === 'function';
}
