import type { Channel } from '../plugin-api.js';

/** `send:inline`: the caller may send with an inline plan (`route: {mode, steps}`) instead of a route name. */
export type Scope = 'send' | 'send:inline' | 'read' | 'admin';
export type Until = 'accepted' | 'sent' | 'delivered' | 'read';

export interface StepConfig {
  channel: Channel;
  providers: readonly string[];
  until: Until;
  within: string;
  /** The consent policy (`consent.<name>`) that guards this WhatsApp step. */
  consent?: string;
  /** The business sender this step sends from, instead of the message's `from` (an email step and a WhatsApp step differ). */
  from?: string;
}

export interface RouteConfig {
  mode: 'fallback' | 'broadcast';
  resendUnknown: boolean;
  steps: readonly StepConfig[];
}

export interface RateLimitConfig {
  mps?: number;
  burst?: number;
  concurrency?: number;
}

export interface ProviderConfig {
  plugin: string;
  rateLimit?: RateLimitConfig;
  /** Senders a message may name as its `from` on this instance (default: the instance's own). */
  senders?: readonly string[];
  readonly [option: string]: unknown;
}

export interface TemplateRef {
  name: string;
  language: string;
}

/** A WhatsApp consent policy (`consent.<name>`): the window, the hold and the opt-in templates. */
export interface ConsentPolicyConfig {
  window: string;
  hold: string;
  /** One template per language (`pt_BR`, `pt`, `es`…) and a `default`. */
  optIn: Readonly<Record<string, TemplateRef>> & { default: TemplateRef };
  onExpiry: 'fallback' | 'expire';
  lateReply?: { text: string };
}

/** STOP/START/HELP handling; keywords are matched case- and whitespace-insensitively. */
export interface SuppressionConfig {
  keywords: { optOut: readonly string[]; optIn: readonly string[]; help: readonly string[] };
  /** Replies sent to the user: HELP's answer, and optional opt-out/opt-in confirmations. */
  replies: { help?: { text: string }; optOut?: { text: string }; optIn?: { text: string } };
  /** Instances whose provider already confirms opt-out/opt-in itself (no confirmation is sent for them). */
  providerConfirms: readonly string[];
}

/** What an inbound rule matches; every given field must match. */
export interface InboundMatch {
  provider?: string;
  channel?: Channel;
  /** The business number or id the user wrote to. */
  to?: string;
  from?: string;
  /** The message's first word, case-insensitive. */
  keyword?: string;
  /** A regular expression the whole text must match. */
  text?: string;
}

/** One `inbound:` rule: a match and one action; the first match wins unless `continue: true`. */
export interface InboundRuleConfig {
  match: InboundMatch;
  bridge?: string;
  /** Answers the user: through `route`, or through `provider` (default: the instance it came through). */
  reply?: { text: string; route?: string; provider?: string };
  forward?: { url: string };
  continue: boolean;
}

/** A contact center joined to business numbers (`bridges.<name>`). */
export interface BridgeConfig {
  contactCenter: string;
  numbers: readonly string[];
  reply: { route: string };
  forward: readonly string[];
}

/**
 * The Avaya sample connector's API (`compat.avayaConnector`): `bridge` names the contact center,
 * `twilio` the customer-side instance (a `mock` one is the sample's mock mode).
 */
export interface AvayaConnectorConfig {
  bridge: string;
  twilio: string;
  /** `POST /api/configs` may write the overlay and reload. */
  allowUpdates: boolean;
}

/**
 * The omnichannel fallback stack's API (`compat.omnichannel`): its body becomes a message with an
 * inline plan over the instances named per channel.
 */
export interface OmnichannelConfig {
  path: string;
  providers: Partial<Record<'email' | 'sms' | 'whatsapp', string>>;
  /** `fallback_seconds` when the body gives none. */
  fallbackSeconds: number;
  /** What each step waits for, and how long the last step (or every broadcast step) waits. */
  until: Until;
  within: string;
}

/** The Messaging Connect service's API (`compat.messagingConnect`): an acs instance and a route per channel. */
export interface MessagingConnectConfig {
  provider: string;
  whatsappRoute: string;
  smsRoute: string;
}

/** Compatibility APIs, each mapped onto a route (or a bridge); an absent entry answers 404. */
export interface CompatConfig {
  sendSMS?: { route: string };
  sendWhatsApp?: { route: string };
  avayaConnector?: AvayaConnectorConfig;
  omnichannel?: OmnichannelConfig;
  messagingConnect?: MessagingConnectConfig;
}

/** `gateway.yaml` after interpolation, validation and schema defaults. */
export interface GatewayConfig {
  server: {
    host: string;
    port: number;
    publicUrl?: string;
    bodyLimit: string;
    requestTimeout: string;
    headersTimeout: string;
    keepAliveTimeout: string;
    maxConnections: number;
    shutdownTimeout: string;
  };
  log: { level: string };
  api: { keys: readonly { name: string; key: string; scopes: readonly Scope[] }[] };
  /** `kind: postgres` needs `url`; `path` is the file store's folder. */
  store: { kind: 'file' | 'postgres'; url?: string; path: string; retention: string; receiptIndex: string; maintenance: string; lease: string; pool: number; lockPool: number };
  callbacks: { secret?: string; timeout: string; maxAge: string; allowedHosts?: readonly string[] };
  retry: { initial: string; max: string; attempts: number };
  plugins: Readonly<Record<string, { path: string }>>;
  providers: Readonly<Record<string, ProviderConfig>>;
  routes: Readonly<Record<string, RouteConfig>>;
  consent: Readonly<Record<string, ConsentPolicyConfig>>;
  suppression: SuppressionConfig;
  compat: CompatConfig;
  inbound: readonly InboundRuleConfig[];
  bridges: Readonly<Record<string, BridgeConfig>>;
}
