import type { KnownPlugin } from '../../src/config/load.js';
import type { PluginDefinition } from '../../src/plugin-api.js';
import { builtinPlugins } from '../../src/registry.js';

/** The built-in plugins plus a test's own, by its `name`: what `startGateway`'s `builtins` takes. */
export function builtinsWith<O>(definition: PluginDefinition<O>): Map<string, KnownPlugin> {
  return new Map<string, KnownPlugin>([...builtinPlugins, [definition.name, definition as PluginDefinition<never>]]);
}
