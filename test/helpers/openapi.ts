import type Router from '@koa/router';
import type Koa from 'koa';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { addApiFormats } from '../../src/http/validate.js';

type Json = Record<string, unknown>;
export type OpenApiDoc = Json & { paths: Record<string, Record<string, Json>>; components: Record<string, Record<string, Json>> };

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** Every `method path` the app's routers serve, read from the routers' layers (HEAD goes with GET). */
export function servedRoutes(app: Koa): string[] {
  const out = new Set<string>();
  for (const mw of app.middleware) {
    const router = (mw as { router?: Router }).router;
    for (const layer of router?.stack ?? []) {
      for (const method of layer.methods) {
        if (method === 'HEAD' && layer.methods.includes('GET')) continue;
        out.add(`${method.toLowerCase()} ${String(layer.path).replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
      }
    }
  }
  return [...out].sort();
}

/** `/paths/~1v1~1messages` as a URI fragment: JSON Pointer escapes, then percent-encoding. */
export const fragment = (segments: readonly string[]): string =>
  `#/${segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')}`;

/**
 * Validators for locations in the document, on the 2020-12 dialect OpenAPI 3.1 uses, with the
 * formats the daemon's own validator knows; `$ref`s resolve within the document.
 */
export function documentValidator(doc: OpenApiDoc): (segments: readonly string[]) => ValidateFunction {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  addApiFormats(ajv);
  ajv.addSchema(doc, 'openapi.json');
  const cache = new Map<string, ValidateFunction>();
  return (segments) => {
    const at = fragment(segments);
    let v = cache.get(at);
    if (!v) {
      v = ajv.compile({ $ref: `openapi.json${at}` });
      cache.set(at, v);
    }
    return v;
  };
}

export interface FoundExample {
  /** Where the example is, for messages. */
  where: string;
  schema: readonly string[];
  value: unknown;
}

/** Every example of a media type or parameter, with the location of the schema it must match. */
export function examplesOf(doc: OpenApiDoc): FoundExample[] {
  const found: FoundExample[] = [];
  const walk = (node: unknown, at: string[]): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as Json;
    if (n.schema && typeof n.schema === 'object') {
      if ('example' in n) found.push({ where: `${at.join(' ')} example`, schema: [...at, 'schema'], value: n.example });
      for (const [name, ex] of Object.entries((n.examples ?? {}) as Record<string, { value: unknown }>)) {
        found.push({ where: `${at.join(' ')} examples.${name}`, schema: [...at, 'schema'], value: ex.value });
      }
    }
    for (const [key, value] of Object.entries(n)) walk(value, [...at, key]);
  };
  walk(doc.paths, ['paths']);
  walk(doc.components, ['components']);
  return found;
}

/**
 * The documented answer of `method template` for `status`, followed through `$ref`; throws when
 * the document does not list that status.
 */
export function documentedAnswer(doc: OpenApiDoc, method: string, template: string, status: number): { at: string[]; answer: Json } {
  const op = doc.paths[template]?.[method];
  if (!op) throw new Error(`${method} ${template} is not in the document`);
  const answer = (op.responses as Record<string, Json>)[String(status)];
  if (!answer) throw new Error(`${method} ${template} does not document status ${status}`);
  const ref = answer.$ref as string | undefined;
  if (ref) {
    const name = ref.split('/').pop()!;
    return { at: ['components', 'responses', name], answer: doc.components.responses[name] };
  }
  return { at: ['paths', template, method, 'responses', String(status)], answer };
}
