import { normalizeAddress } from '../engine/addresses.js';
import type { Channel, PluginDefinition } from '../plugin-api.js';
import type { GatewayConfig } from './types.js';

type Plugins = ReadonlyMap<string, PluginDefinition<never>>;

/**
 * The business sender `instance` sends from on `channel`, normalized; `instance:<name>` for one
 * that names none. Shared by the runtime and the config checks, so both read senders alike.
 */
export function instanceSender(config: GatewayConfig, plugins: Plugins, instance: string, channel: Channel): string {
  const spec = Object.hasOwn(config.providers, instance) ? config.providers[instance] : undefined;
  const plugin = plugins.get(instance);
  const named = spec && plugin?.sender ? plugin.sender(spec as never, channel) : typeof spec?.from === 'string' ? spec.from : undefined;
  return named ? normalizeAddress(named) : `instance:${instance}`;
}

/** Whether `instance` may send from `sender` (normalized) on `channel`: its `senders`, or its own sender. */
export function instanceMaySendFrom(config: GatewayConfig, plugins: Plugins, instance: string, channel: Channel, sender: string): boolean {
  const listed = Object.hasOwn(config.providers, instance) ? config.providers[instance].senders : undefined;
  if (listed) return listed.some((s) => normalizeAddress(s) === sender);
  return instanceSender(config, plugins, instance, channel) === sender;
}
