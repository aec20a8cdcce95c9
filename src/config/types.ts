import type { Channel } from '../plugin-api.js';

export type Scope = 'send' | 'read' | 'admin';
export type Until = 'accepted' | 'sent' | 'delivered' | 'read';

export interface StepConfig {
  channel: Channel;
  providers: readonly string[];
  until: Until;
  within: string;
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
}
