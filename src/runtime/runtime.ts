import type { Clock } from '../clock.js';
import { parseDuration } from '../config/duration.js';
import type { LoadedConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { RateLimitConfig } from '../config/types.js';
import { createHttpClient, type Channel, type PluginDeps, type Provider, type WebhookRequest } from '../plugin-api.js';
import { instanceMaySendFrom, instanceSender } from '../config/senders.js';

/** Feeds a request into the webhook pipeline of one instance (what `deps.loopback` calls). */
export type Loopback = (instance: string, kind: string, req: Pick<WebhookRequest, 'headers' | 'rawBody' | 'body'>) => Promise<void>;

/** Everything built from one config file. Reload builds a new one and swaps the reference. */
export interface Runtime {
  loaded: LoadedConfig;
  providers: ReadonlyMap<string, Provider>;
  retry: { initialMs: number; maxMs: number; attempts: number };
  callbacks: { timeoutMs: number; maxAgeMs: number };
  /** Each instance's `rateLimit`, if it has one. */
  rateLimits: ReadonlyMap<string, RateLimitConfig>;
  webhookUrl(instance: string, kind: string): string | undefined;
  /**
   * The business sender `instance` sends from on `channel`, normalized (`whatsapp:+1…` → `+1…`);
   * `instance:<name>` for one that names none. Consent windows and suppression are kept per sender.
   */
  senderOf(instance: string, channel: Channel): string;
  /** Whether `instance` may send from `sender` (normalized) on `channel`: its `senders`, or its own sender. */
  maySendFrom(instance: string, channel: Channel, sender: string): boolean;
  /** Counts a provider call as in flight on this runtime: closing it waits for them (a reload drains). */
  track<T>(call: Promise<T>): Promise<T>;
  /** Resolves once no call tracked on this runtime is in flight. */
  drained(): Promise<void>;
}

export interface RuntimeDeps {
  logger: Logger;
  clock: Clock;
  metrics: Metrics;
  loopback: Loopback;
}

const ms = (d: string): number => parseDuration(d) ?? 0;

/**
 * Builds every provider instance of a loaded config. All construction errors are collected into
 * one ConfigError, so a bad reload reports everything and swaps nothing.
 */
export function buildRuntime(loaded: LoadedConfig, deps: RuntimeDeps): Runtime {
  const { config } = loaded;
  const base = config.server.publicUrl?.replace(/\/+$/, '');
  const webhookUrl = (instance: string, kind: string) => (base ? `${base}/webhooks/${instance}/${kind}` : undefined);
  const providers = new Map<string, Provider>();
  const errors: string[] = [];
  for (const [instance, spec] of Object.entries(config.providers)) {
    const plugin = loaded.plugins.get(instance);
    if (!plugin) continue;
    const { plugin: _name, rateLimit: _limit, senders: _senders, ...options } = spec;
    const pluginDeps: PluginDeps = {
      instance,
      logger: deps.logger.child({ provider: instance, plugin: spec.plugin }),
      clock: deps.clock,
      http: createHttpClient({ timeoutMs: 10_000 }),
      metrics: {
        async time(operation, fn) {
          const end = deps.metrics.providerDuration.startTimer({ provider: instance, operation });
          try {
            return await fn();
          } catch (err) {
            deps.metrics.providerOperationFailures.inc({ provider: instance, operation });
            throw err;
          } finally {
            end();
          }
        },
        failed: (operation) => deps.metrics.providerOperationFailures.inc({ provider: instance, operation }),
      },
      webhookUrl: (kind) => webhookUrl(instance, kind),
      loopback: (kind, req) => deps.loopback(instance, kind, req),
    };
    try {
      providers.set(instance, plugin.create(Object.freeze(options) as never, pluginDeps));
      // Label sets for configured providers exist from the start, so dashboards see zeros.
      for (const reason of ['client', 'server', 'timeout', 'auth', 'rate_limited']) deps.metrics.providerErrors.inc({ provider: instance, reason }, 0);
    } catch (err) {
      errors.push(`providers.${instance}: ${(err as Error).message}`);
    }
  }
  if (errors.length > 0) throw new ConfigError(errors);
  const rateLimits = new Map<string, RateLimitConfig>();
  for (const [instance, spec] of Object.entries(config.providers)) if (spec.rateLimit) rateLimits.set(instance, spec.rateLimit);
  const inFlight = new Set<Promise<unknown>>();
  return {
    loaded,
    providers,
    retry: { initialMs: ms(config.retry.initial), maxMs: ms(config.retry.max), attempts: config.retry.attempts },
    callbacks: { timeoutMs: ms(config.callbacks.timeout), maxAgeMs: ms(config.callbacks.maxAge) },
    rateLimits,
    webhookUrl,
    senderOf: (instance, channel) => instanceSender(config, loaded.plugins, instance, channel),
    maySendFrom: (instance, channel, sender) => instanceMaySendFrom(config, loaded.plugins, instance, channel, sender),
    track(call) {
      inFlight.add(call);
      void call.finally(() => inFlight.delete(call)).catch(() => undefined);
      return call;
    },
    async drained() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

/**
 * Closes a runtime's providers once its in-flight sends have finished (each is bounded by the
 * engine's send ceiling, `maxWaitMs` bounds the whole wait): cutting a send in flight would make
 * it look retryable and send it twice.
 */
export async function closeRuntime(runtime: Runtime, logger: Logger, maxWaitMs = 65_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = await Promise.race([
    runtime.drained().then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), maxWaitMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  if (gaveUp) logger.warn('closing a runtime with provider calls still in flight');
  for (const [name, p] of runtime.providers) {
    await p.close?.().catch((err: unknown) => logger.warn({ err, provider: name }, 'provider close failed'));
  }
}
