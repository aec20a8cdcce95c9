import type { Clock } from '../clock.js';
import type { LoadedConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { createRedactor } from '../log/redact.js';
import type { Metrics } from '../metrics/metrics.js';
import { createReloader, type ReloadResult } from '../runtime/reloader.js';
import type { Runtime } from '../runtime/runtime.js';

/**
 * Settings read once when the process starts: the bound socket, the body parser, the store folder.
 * Everything else in the file is applied by a reload.
 */
export const RESTART_ONLY = ['server.host', 'server.port', 'server.bodyLimit', 'store.path', 'store.lease', 'store.pool', 'store.lockPool'] as const;

export interface ConfigReloadDeps {
  load(): Promise<LoadedConfig>;
  runtime(): Runtime;
  /** Builds the providers of `next`; `logger` already runs at the new level, so theirs do too. */
  build(next: LoadedConfig, logger: Logger): Runtime;
  /** The one swap: from its return on, every request and timer sees `next`. */
  swap(next: Runtime): void;
  /** What becomes of the replaced runtime once nothing new reaches it (close, or drain then close). */
  retire(old: Runtime): void;
  /** The configuration the process started with; restart-only settings are compared against it. */
  started: LoadedConfig;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
}

/** Called after a successful swap with the new and the replaced configuration. */
export type ConfigListener = (next: LoadedConfig, previous: LoadedConfig) => void;

/**
 * Reload as one transaction: load and build everything fallible first, then swap, then apply the
 * live settings (log level, listeners such as the maintenance schedule and the server's timeouts),
 * and report what only a restart applies — in the answer, a warning and
 * `switchboard_config_restart_required`.
 *
 * @example
 *   const config = createConfigReload({ load, runtime: current, build, swap, retire, started: loaded, logger, metrics, clock });
 *   config.onApplied((next) => maintenance.apply(next));
 *   const result = await config.reload(); // { ok: true, configHash, restartRequired: [] }
 */
export function createConfigReload(deps: ConfigReloadDeps) {
  const { logger, metrics } = deps;
  const listeners = new Set<ConfigListener>();

  const markLoaded = (r: LoadedConfig) => {
    metrics.reloadSuccess.set(1);
    metrics.reloadTimestamp.set(Math.floor(deps.clock.now() / 1000));
    metrics.configHash.set(parseInt(r.hash.slice(0, 12), 16));
  };
  markLoaded(deps.started);

  const reloader = createReloader(async (): Promise<ReloadResult> => {
    let next: LoadedConfig;
    let built: Runtime;
    try {
      next = await deps.load();
      built = deps.build(next, logger.child({}, { level: next.config.log.level }));
    } catch (err) {
      metrics.reloadSuccess.set(0);
      const errors = err instanceof ConfigError ? err.errors : [(err as Error).message];
      const secrets = err instanceof ConfigError ? err.secrets : undefined;
      logger.error({ errors: secrets ? createRedactor(() => secrets)(errors) : errors }, 'configuration reload refused; the previous configuration keeps serving');
      return { ok: false, errors, ...(secrets ? { secrets } : {}) };
    }
    const old = deps.runtime();
    deps.swap(built);
    logger.level = next.config.log.level;
    for (const listener of listeners) {
      try {
        listener(next, old.loaded);
      } catch (err) {
        // The values were validated at load; a listener that still fails must not undo the swap.
        logger.error({ err }, 'applying a reloaded setting failed');
      }
    }
    const restartRequired = restartOnlyChanges(deps.started, next);
    metrics.restartRequired.set(restartRequired.length > 0 ? 1 : 0);
    if (restartRequired.length > 0) {
      logger.warn({ restartRequired }, 'configuration reloaded, but these settings take effect only after a restart');
    }
    markLoaded(next);
    logger.info({ configHash: next.hash, restartRequired }, 'configuration reloaded');
    deps.retire(old);
    return { ok: true, configHash: next.hash, restartRequired };
  });

  return {
    reload: () => reloader.reload(),
    /** Adds a listener for successful reloads; returns its removal. */
    onApplied(listener: ConfigListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Restart-only settings whose value in `next` differs from the one the process runs with. */
export function restartOnlyChanges(running: LoadedConfig, next: LoadedConfig): string[] {
  const get = (c: LoadedConfig, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], c.config);
  return RESTART_ONLY.filter((path) => get(running, path) !== get(next, path));
}
