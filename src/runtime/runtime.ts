import type { Clock } from '../clock.js';
import { parseDuration } from '../config/duration.js';
import type { LoadedConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { createHttpClient, type PluginDeps, type Provider, type WebhookRequest } from '../plugin-api.js';

/** Feeds a request into the webhook pipeline of one instance (what `deps.loopback` calls). */
export type Loopback = (instance: string, kind: string, req: Pick<WebhookRequest, 'headers' | 'rawBody' | 'body'>) => Promise<void>;

/** Everything built from one config file. Reload builds a new one and swaps the reference. */
export interface Runtime {
  loaded: LoadedConfig;
  providers: ReadonlyMap<string, Provider>;
  retry: { initialMs: number; maxMs: number; attempts: number };
  callbacks: { timeoutMs: number; maxAgeMs: number };
  webhookUrl(instance: string, kind: string): string | undefined;
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
    const { plugin: _name, ...options } = spec;
    const pluginDeps: PluginDeps = {
      instance,
      logger: deps.logger.child({ provider: instance }),
      clock: deps.clock,
      http: createHttpClient({ timeoutMs: 10_000 }),
      metrics: {
        async time(operation, fn) {
          const end = deps.metrics.providerDuration.startTimer({ provider: instance, operation });
          try {
            return await fn();
          } finally {
            end();
          }
        },
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
  return {
    loaded,
    providers,
    retry: { initialMs: ms(config.retry.initial), maxMs: ms(config.retry.max), attempts: config.retry.attempts },
    callbacks: { timeoutMs: ms(config.callbacks.timeout), maxAgeMs: ms(config.callbacks.maxAge) },
    webhookUrl,
  };
}

export async function closeRuntime(runtime: Runtime, logger: Logger): Promise<void> {
  for (const [name, p] of runtime.providers) {
    await p.close?.().catch((err: unknown) => logger.warn({ err, provider: name }, 'provider close failed'));
  }
}
