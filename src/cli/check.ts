import { Registry } from 'prom-client';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { createMetrics } from '../metrics/metrics.js';
import { builtinPlugins } from '../registry.js';
import { buildRuntime, closeRuntime, type RuntimeDeps } from '../runtime/runtime.js';

export interface CheckIo {
  env: Readonly<Record<string, string | undefined>>;
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * `switchboard check FILE`: everything `start` would refuse, refused here — the same load, and the
 * providers built through the same `buildRuntime` with deps of the same type `start` passes, then
 * closed. Returns the exit code.
 *
 * @example process.exitCode = await checkCommand('gateway.yaml', { env: process.env, out, err });
 */
export async function checkCommand(file: string, io: CheckIo, options: { unresolved?: boolean } = {}): Promise<number> {
  let runtime: Awaited<ReturnType<typeof buildRuntime>> | undefined;
  const logger = createLogger({ level: 'silent', secrets: () => new Set() });
  try {
    const loaded = await loadConfig(file, { env: io.env, builtins: builtinPlugins, unresolved: options.unresolved });
    const deps: RuntimeDeps = {
      logger,
      clock: systemClock,
      metrics: createMetrics(new Registry(), { defaults: false }),
      // Nothing is running to feed: a provider that loops back while merely being built is a bug.
      loopback: async () => {
        throw new Error('switchboard check: no webhook pipeline is running');
      },
    };
    // Providers built on placeholder text (an `AC…` SID that reads `${env:…}`) would only fail on it.
    if (!options.unresolved) runtime = buildRuntime(loaded, deps);
    const { providers, routes } = loaded.config;
    io.out(`${file}: ok (${Object.keys(providers).length} providers, ${Object.keys(routes).length} routes, hash ${loaded.hash.slice(0, 12)}${options.unresolved ? ', secrets not resolved, providers not built' : ''})\n`);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`${err.errors.join('\n')}\n`);
      return 1;
    }
    throw err;
  } finally {
    if (runtime) await closeRuntime(runtime, logger);
  }
}
