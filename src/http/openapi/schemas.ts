import { readSchema } from '../../schemas.js';
import { BODY_SCHEMAS, RESPONSE_SCHEMAS_FILE, bodySchemaFile, type BodySchema } from '../body-schemas.js';

export type JsonSchema = Record<string, unknown>;

const COMPONENTS = '#/components/schemas/';

const pascal = (name: string): string => name.replace(/(^|[-_])([a-z0-9])/gi, (_, __, c: string) => c.toUpperCase());

/** A copy of `node` with every `#/$defs/x` reference pointed at the component `rename(x)`. */
function retarget(node: unknown, rename: (def: string) => string): unknown {
  if (Array.isArray(node)) return node.map((n) => retarget(n, rename));
  if (!node || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    const local = key === '$ref' && typeof value === 'string' ? /^#\/\$defs\/([^/]+)$/.exec(value) : null;
    out[key] = local ? `${COMPONENTS}${rename(local[1])}` : retarget(value, rename);
  }
  return out;
}

/**
 * A schema file as components: the root under `name` (unless it is only a bag of `$defs`) and each
 * of its `$defs` beside it, as `rename(def)`. Definitions become named components, rather than
 * staying nested, so client generators give them type names.
 */
function hoist(file: string, name: string | undefined, rename: (def: string) => string, into: Map<string, JsonSchema>): void {
  const { $id: _id, $schema: _dialect, $defs, ...root } = readSchema(file);
  const add = (component: string, schema: JsonSchema) => {
    if (into.has(component)) throw new Error(`OpenAPI: two schemas are named ${component} (${file})`);
    into.set(component, retarget(schema, rename) as JsonSchema);
  };
  if (name !== undefined) add(name, root);
  for (const [def, schema] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) add(rename(def), schema);
}

/**
 * `components.schemas`: every body schema of `schemas/api/` (`SendMessageRequest`, and its
 * definitions as `SendMessageE164`…), then the answers of `responses.schema.json` by their own
 * names. Read from the files the daemon validates with, in a fixed order.
 */
export function componentSchemas(): Map<string, JsonSchema> {
  const out = new Map<string, JsonSchema>();
  for (const [file, component] of Object.entries(BODY_SCHEMAS) as [BodySchema, string][]) {
    const base = component.replace(/Request$/, '');
    hoist(bodySchemaFile(file), component, (def) => `${base}${pascal(def)}`, out);
  }
  hoist(RESPONSE_SCHEMAS_FILE, undefined, (def) => def, out);
  return out;
}

/** `{$ref}` to a component schema. */
export const schemaRef = (component: string): JsonSchema => ({ $ref: `${COMPONENTS}${component}` });

/** A body schema's component name. */
export const bodyComponent = (name: BodySchema): string => BODY_SCHEMAS[name];
