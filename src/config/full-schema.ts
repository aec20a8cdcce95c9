import type { PluginDefinition } from '../plugin-api.js';
import { readSchema } from '../schemas.js';

type Schema = Record<string, unknown>;

/** Where the combined schema is shipped, relative to `schemas/`. */
export const FULL_SCHEMA_FILE = 'gateway.full.schema.json';

// What a `${env|file|cred:…}` placeholder looks like; it may stand for any value, as the loader
// interpolates before it validates.
const PLACEHOLDER: Schema = {
  type: 'string',
  pattern: '\\$\\{(env|file|cred):[^}]*\\}',
  description: 'A value read when the config loads: ${env:NAME}, ${env:NAME:-default}, ${file:PATH} or ${cred:NAME}.',
};

// Annotations stay on the outside of a wrapped value, where editors show them.
const ANNOTATIONS = ['title', 'description', 'default', 'examples', 'x-secret', 'deprecated'];
// Schemas whose values are never interpolated text (keys, conditions), left as they are.
const UNTOUCHED = new Set(['propertyNames', 'if', 'not', 'contains', 'const', 'enum', 'required', 'examples', 'default']);
const STRUCTURAL = ['properties', 'items', 'additionalProperties', 'patternProperties', 'allOf', 'anyOf', 'oneOf', '$ref', 'dependencies', 'then', 'else'];

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value's schema that also admits a placeholder; objects and arrays are walked instead. */
function admitPlaceholders(node: unknown, key?: string): unknown {
  if (key !== undefined && UNTOUCHED.has(key)) return node;
  if (Array.isArray(node)) return node.map((n) => admitPlaceholders(n));
  if (!isSchema(node)) return node;
  const walked: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    const mapOfSchemas = k === 'properties' || k === 'patternProperties' || k === '$defs' || k === 'dependencies';
    walked[k] = mapOfSchemas && isSchema(v) ? Object.fromEntries(Object.entries(v).map(([name, s]) => [name, Array.isArray(s) ? s : admitPlaceholders(s)])) : admitPlaceholders(v, k);
  }
  const leaf = !STRUCTURAL.some((k) => k in node) && ('type' in node || 'pattern' in node || 'format' in node || 'enum' in node || 'const' in node) && node.type !== 'object' && node.type !== 'array';
  if (!leaf) return walked;
  const outer: Schema = {};
  const inner: Schema = {};
  for (const [k, v] of Object.entries(walked)) (ANNOTATIONS.includes(k) ? outer : inner)[k] = v;
  return { ...outer, anyOf: [inner, { $ref: '#/$defs/placeholder' }] };
}

/** A plugin's options schema, its `$defs` moved up under its name (one document can hold one `#/$defs`). */
function hoisted(name: string, schema: Schema, defs: Schema): Schema {
  const prefix = `plugin-${name}-`;
  const { $id: _id, $defs: own, title: _title, ...rest } = schema;
  for (const [k, v] of Object.entries((own as Schema | undefined) ?? {})) defs[prefix + k] = v;
  return JSON.parse(JSON.stringify(rest).replace(/"#\/\$defs\/([^"]+)"/g, (_m, k: string) => `"#/$defs/${prefix}${k}"`)) as Schema;
}

/**
 * `gateway.schema.json` with every built-in plugin's options under `providers.<name>` (chosen by
 * `plugin:`), and a `${…}` placeholder admitted wherever a value goes: one document an editor
 * (yaml-language-server) can check `gateway.yaml` against. Built from the schemas the loader uses,
 * so it is never edited by hand: `switchboard schema --out schemas/gateway.full.schema.json`.
 *
 * @example writeFileSync('schemas/gateway.full.schema.json', JSON.stringify(fullGatewaySchema(await allBuiltinPlugins()), null, 2));
 */
export function fullGatewaySchema(plugins: ReadonlyMap<string, PluginDefinition<never>>): Schema {
  const gateway = readSchema('gateway.schema.json');
  const defs: Schema = { ...(gateway.$defs as Schema) };
  const properties = gateway.properties as Schema & { providers: { additionalProperties: Schema & { properties: Schema } } };
  const instance = properties.providers.additionalProperties;
  const core = instance.properties;
  const names = [...plugins.keys()].sort();
  const perPlugin = names.map((name) => {
    const own = hoisted(name, plugins.get(name)!.optionsSchema as Schema, defs);
    return {
      if: { properties: { plugin: { const: name } }, required: ['plugin'] },
      then: { ...own, properties: { ...core, plugin: { const: name }, ...(own.properties as Schema) } },
    };
  });
  const providers = {
    ...properties.providers,
    additionalProperties: {
      ...instance,
      properties: { ...core, plugin: { ...(core.plugin as Schema), description: `The plugin: one of the built-in ${names.join(', ')}, or a name under plugins:.`, anyOf: [{ enum: names }, { type: 'string' }] } },
      allOf: perPlugin,
    },
  };
  const full: Schema = {
    ...gateway,
    $id: `https://switchboard.dev/schemas/${FULL_SCHEMA_FILE}`,
    title: `${String(gateway.title ?? 'gateway.yaml')} (with the built-in plugins' options)`,
    $comment: 'Generated from gateway.schema.json and schemas/plugins/*: do not edit; run `npx switchboard schema --out schemas/gateway.full.schema.json`.',
    properties: { ...properties, providers },
    $defs: defs,
  };
  const walked = admitPlaceholders(full) as Schema;
  return { ...walked, $defs: { ...(walked.$defs as Schema), placeholder: PLACEHOLDER } };
}
