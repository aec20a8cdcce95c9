import type { Channel } from '../plugin-api.js';

export type Scope = 'send' | 'read' | 'admin';
export type Until = 'accepted' | 'sent' | 'delivered' | 'read';

export interface StepConfig {
  channel: Channel;
  providers: readonly string[];
  until: Until;
  within: string;
  /** The consent policy (`consent.<name>`) that guards this WhatsApp step. */
  consent?: string;
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

/** Compatibility APIs, each mapped onto a route; an absent entry answers 404. */
export interface CompatConfig {
  sendSMS?: { route: string };
  sendWhatsApp?: { route: string };
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
}
