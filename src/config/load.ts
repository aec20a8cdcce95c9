import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ErrorObject } from 'ajv';
import { ConfigError } from '../errors.js';
import type { PluginDefinition } from '../plugin-api.js';
import { describeAjvError } from './ajv.js';
import { gatewayValidator, pluginValidator } from './validators.js';
import { collectSecrets } from './secrets.js';
import { parseConfig } from './parse.js';
import { pointerToPath } from './positions.js';
import type { GatewayConfig } from './types.js';
import { checkAvayaConnector, checkConsent, checkInbound, checkOmnichannel, checkRoutes } from './cross-checks.js';
import { mergeOverlay } from './overlay.js';
import { checkServer, checkStore } from './ops-checks.js';
import { checkMessagingConnect } from './compat-checks.js';

export interface LoadedConfig {
  file: string;
  config: GatewayConfig;
  /** The file as read, before interpolation: what the config hash covers (with an applied overlay's text). */
  raw: string;
  hash: string;
  /** Every secret value in the config; logs and `/-/config` mask them. */
  secrets: ReadonlySet<string>;
  /** The plugin definition behind each provider instance. */
  plugins: ReadonlyMap<string, PluginDefinition<never>>;
}

/** A plugin known by name: its definition, or how to import it, which happens when a config names it. */
export type KnownPlugin = PluginDefinition<never> | (() => Promise<PluginDefinition<never>>);

/** A known plugin's definition, imported first if it is not yet. */
export const definitionOf = async (known: KnownPlugin): Promise<PluginDefinition<never>> => (typeof known === 'function' ? known() : known);

export interface LoadOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** The built-in plugins by name (registry.ts); only those a config names are imported. */
  builtins: ReadonlyMap<string, KnownPlugin>;
  /** Leave `${env|file|cred:…}` unexpanded (the schema then checks the placeholder text). */
  unresolved?: boolean;
}

type Located = (path: readonly (string | number)[], message: string, keyOf?: string) => void;

/**
 * YAML → interpolate secrets → ajv (gateway schema, then each plugin's schema) → cross-field
 * checks → freeze. Collects every error as `file:line:col: message` and throws them together.
 *
 * @example const loaded = await loadConfig('gateway.yaml', { env: process.env, builtins });
 */
export async function loadConfig(file: string, options: LoadOptions): Promise<LoadedConfig> {
  const path = resolve(file);
  const dir = dirname(path);
  const name = basename(path);
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`${name}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`]);
  }

  const parsed = await parseConfig(raw, name, { env: options.env, baseDir: dir, unresolved: options.unresolved });
  const { data, fromFiles: fileSecrets } = parsed;
  const errors: string[] = [];
  const at: Located = (p, message, keyOf) => errors.push(`${name}:${parsed.position(p, keyOf)}: ${message}`);

  const { schema: gatewaySchema, validate: validateGateway } = gatewayValidator();
  const gatewayErrors = validateGateway(data) ? [] : real(validateGateway.errors, data, options.unresolved);
  if (gatewayErrors.length > 0) {
    for (const e of gatewayErrors) {
      const p = pointerToPath(e.instancePath);
      const key = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }).additionalProperty : undefined;
      at(p, `${p.join('.') || '(top level)'}: ${describeAjvError(e)}`, key);
    }
    throw new ConfigError(errors, await secretsOfInvalid(data, gatewaySchema, options.builtins, new Set(fileSecrets)));
  }
  const config = data as unknown as GatewayConfig;
  const storePath = resolve(dir, config.store.path);
  // Credentials set through the Avaya connector's API, merged before the plugins validate them.
  const overlay = await mergeOverlay(config, storePath);
  errors.push(...overlay.errors);

  const registry = new Map<string, KnownPlugin>(options.builtins);
  for (const [pluginName, spec] of Object.entries(config.plugins)) {
    try {
      const mod = (await import(pathToFileURL(resolve(dir, spec.path)).href)) as { default?: PluginDefinition<never> };
      if (!mod.default || typeof mod.default.create !== 'function') throw new Error('its default export is not a plugin definition');
      registry.set(pluginName, mod.default);
    } catch (err) {
      at(['plugins', pluginName, 'path'], `plugin ${pluginName}: cannot load ${spec.path}: ${(err as Error).message}`);
    }
  }

  // Only the plugins the providers name are imported.
  const named = new Map<string, PluginDefinition<never>>();
  await Promise.all([...new Set(Object.values(config.providers).map((p) => p.plugin))].map(async (pluginName) => {
    const known = registry.get(pluginName);
    if (known === undefined) return;
    try {
      named.set(pluginName, await definitionOf(known));
    } catch (err) {
      errors.push(`${name}: built-in plugin ${pluginName} cannot be loaded: ${(err as Error).message}`);
    }
  }));

  const plugins = new Map<string, PluginDefinition<never>>();
  const secrets = new Set<string>(fileSecrets);
  collectSecrets(gatewaySchema, config, secrets);
  for (const [instance, provider] of Object.entries(config.providers)) {
    const plugin = named.get(provider.plugin);
    if (!plugin) {
      if (registry.has(provider.plugin)) continue;
      at(['providers', instance, 'plugin'], `providers.${instance}: unknown plugin "${provider.plugin}" (known: ${[...registry.keys()].join(', ')})`);
      continue;
    }
    // `rateLimit` and `senders` are the core's, not the plugin's: every instance has them.
    const { plugin: _name, rateLimit, senders, ...pluginOptions } = provider;
    const validate = pluginValidator(plugin.optionsSchema, options.builtins.get(provider.plugin) === registry.get(provider.plugin) ? provider.plugin : undefined);
    const optionErrors = validate(pluginOptions) ? [] : real(validate.errors, pluginOptions, options.unresolved);
    if (optionErrors.length > 0) {
      collectSecrets(plugin.optionsSchema, pluginOptions, secrets);
      for (const e of optionErrors) {
        const p = ['providers', instance, ...pointerToPath(e.instancePath)];
        const key = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }).additionalProperty : undefined;
        if (overlay.applied?.covers(key === undefined ? p : [...p, key])) errors.push(`${overlay.applied.file}: ${p.join('.')}: ${describeAjvError(e)}`);
        else at(p, `${p.join('.')}: ${describeAjvError(e)}`, key);
      }
      continue;
    }
    // Defaults were filled into the copy; keep them.
    (config.providers as Record<string, unknown>)[instance] = { plugin: provider.plugin, ...(rateLimit === undefined ? {} : { rateLimit }), ...(senders === undefined ? {} : { senders }), ...pluginOptions };
    collectSecrets(plugin.optionsSchema, pluginOptions, secrets);
    plugins.set(instance, plugin);
  }

  checkRoutes(config, plugins, at);
  checkConsent(config, at);
  checkInbound(config, plugins, at);
  checkAvayaConnector(config, at);
  checkOmnichannel(config, plugins, at);
  checkMessagingConnect(config, at);
  checkServer(config, at);
  checkStore(config, dir, at);
  for (const k of config.api.keys) secrets.add(k.key);
  if (errors.length > 0) throw new ConfigError(errors, secrets);

  config.store.path = storePath;
  return {
    file: path,
    config: deepFreeze(config),
    raw,
    // An applied overlay is part of the configuration: a POST /api/configs changes the hash too.
    hash: createHash('sha256').update(raw).update(overlay.applied ? `\0${overlay.applied.raw}` : '').digest('hex'),
    secrets,
    plugins,
  };
}

/**
 * The schema errors that stand: left unresolved (`check --no-secrets`), a `${…}` placeholder cannot
 * be judged against the pattern, format or type its value will have, so its errors are dropped.
 */
function real(errors: readonly ErrorObject[] | null | undefined, data: unknown, unresolved: boolean | undefined): ErrorObject[] {
  if (!unresolved) return [...(errors ?? [])];
  return (errors ?? []).filter((e) => {
    const value = pointerToPath(e.instancePath).reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), data);
    return !(typeof value === 'string' && PLACEHOLDER.test(value));
  });
}

const PLACEHOLDER = /\$\{(env|file|cred):[^}]*\}/;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The secrets of a file that failed the gateway schema, read as well as its shape allows. */
async function secretsOfInvalid(data: Record<string, unknown>, schema: unknown, builtins: ReadonlyMap<string, KnownPlugin>, found: ReadonlySet<string>): Promise<Set<string>> {
  const out = new Set(found);
  collectSecrets(schema, data, out);
  const keys = (data.api as { keys?: unknown } | undefined)?.keys;
  if (Array.isArray(keys)) for (const k of keys) if (typeof (k as { key?: unknown })?.key === 'string') out.add((k as { key: string }).key);
  const providers = data.providers;
  if (providers && typeof providers === 'object') {
    for (const spec of Object.values(providers as Record<string, { plugin?: unknown }>)) {
      const known = typeof spec?.plugin === 'string' ? builtins.get(spec.plugin) : undefined;
      const plugin = known && (await definitionOf(known).catch(() => undefined));
      if (plugin) collectSecrets(plugin.optionsSchema, spec, out);
    }
  }
  return out;
}
