/**
 * The composition root's list of built-in plugins: the one file in `src/` that imports `plugins/`.
 * User plugins are added from paths in `gateway.yaml` (`plugins:`) at load time.
 */
import { mockPlugin } from '../plugins/mock/index.js';
import type { PluginDefinition } from './plugin-api.js';

export const builtinPlugins: ReadonlyMap<string, PluginDefinition<never>> = new Map<string, PluginDefinition<never>>([
  [mockPlugin.name, mockPlugin as unknown as PluginDefinition<never>],
]);
