import type { PluginDefinition } from '../plugin-api.js';
import type { GatewayConfig } from './types.js';

type Located = (path: readonly (string | number)[], message: string) => void;

/** Checks a schema cannot express: steps name existing providers that support the step's channel. */
export function checkRoutes(config: GatewayConfig, plugins: ReadonlyMap<string, PluginDefinition<never>>, at: Located): void {
  for (const [routeName, route] of Object.entries(config.routes)) {
    route.steps.forEach((step, i) => {
      step.providers.forEach((instance, j) => {
        const where = ['routes', routeName, 'steps', i, 'providers', j];
        if (!(instance in config.providers)) {
          at(where, `routes.${routeName}.steps[${i}]: unknown provider "${instance}"`);
          return;
        }
        const plugin = plugins.get(instance);
        if (!plugin) return; // its own error was reported already
        const options = config.providers[instance] as never;
        if (!plugin.channels(options).includes(step.channel)) {
          at(where, `routes.${routeName}.steps[${i}]: provider "${instance}" does not support channel ${step.channel}`);
        }
      });
    });
  }
  const names = new Set<string>();
  config.api.keys.forEach((k, i) => {
    if (names.has(k.name)) at(['api', 'keys', i, 'name'], `api.keys[${i}]: duplicate key name "${k.name}"`);
    names.add(k.name);
  });
}
