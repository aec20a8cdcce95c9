import type { Scope } from '../../config/types.js';
import type { BodySchema } from '../body-schemas.js';
import { errorResponseRef } from './errors.js';
import { bodyComponent, schemaRef, type JsonSchema } from './schemas.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'options';

export interface Example {
  summary: string;
  value: unknown;
}

export interface Answer {
  description: string;
  /** A component schema name (JSON), or a media type with its own schema. */
  schema?: string;
  content?: Record<string, JsonSchema>;
  examples?: Record<string, Example>;
  headers?: Record<string, JsonSchema>;
}

/** How a caller is authenticated: an API key with a scope, nothing, or the provider's own scheme. */
export type Auth = { scope: Scope } | 'none' | 'provider';

export interface OperationSpec {
  id: string;
  tag: string;
  summary: string;
  description?: string;
  auth: Auth;
  parameters?: JsonSchema[];
  /** A JSON body checked against a `schemas/api/` schema, with examples. */
  body?: { schema: BodySchema; examples: Record<string, Example> };
  /** Any other body (provider callbacks): media types as they are. */
  rawBody?: JsonSchema;
  answers: Record<number, Answer>;
  /** Error statuses beyond those that follow from the rest (auth, body). */
  errors?: number[];
}

const API_KEY_SCHEMES = ['bearerAuth', 'apiKeyHeader'] as const;

/** The two ways to present an API key, either one, each naming the scope the key must have. */
export const securitySchemes = (): Record<string, JsonSchema> => ({
  bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key of gateway.yaml (api.keys), as `Authorization: Bearer <key>`. Scopes: send, send:inline, read, admin.' },
  apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The same API key as an `x-api-key` header.' },
});

function answerOf(a: Answer): JsonSchema {
  const examples = a.examples ? { examples: a.examples } : {};
  const content = a.content ?? (a.schema ? { 'application/json': { schema: schemaRef(a.schema), ...examples } } : undefined);
  return { description: a.description, ...(a.headers ? { headers: a.headers } : {}), ...(content ? { content } : {}) };
}

function security(auth: Auth): JsonSchema[] {
  if (auth === 'none' || auth === 'provider') return [];
  return API_KEY_SCHEMES.map((scheme) => ({ [scheme]: [auth.scope] }));
}

/**
 * An OpenAPI operation from a short spec: security from the scope, the error answers that follow
 * from it (401 and 403 with a key; 400, 413 and 415 with a JSON body) and the spec's own, each the
 * shared response of its status.
 *
 * @example operation({ id: 'getHealthy', tag: 'ops', summary: 'Liveness', auth: 'none', answers: { 200: { description: 'alive', schema: 'Healthy' } } })
 */
export function operation(spec: OperationSpec): JsonSchema {
  const errors = new Set(spec.errors ?? []);
  if (typeof spec.auth === 'object') [401, 403].forEach((s) => errors.add(s));
  if (spec.body) [400, 413, 415].forEach((s) => errors.add(s));
  const responses: Record<string, JsonSchema> = {};
  for (const [status, a] of Object.entries(spec.answers)) responses[status] = answerOf(a);
  for (const status of [...errors].sort((a, b) => a - b)) responses[String(status)] ??= errorResponseRef(status);
  const body = spec.body
    ? { required: true, content: { 'application/json': { schema: schemaRef(bodyComponent(spec.body.schema)), examples: spec.body.examples } } }
    : spec.rawBody;
  const described = spec.auth === 'provider' ? 'Authenticated by the provider\'s own scheme (signature, token or credentials), not an API key.' : undefined;
  const description = [spec.description, described].filter(Boolean).join('\n\n');
  return {
    operationId: spec.id,
    tags: [spec.tag],
    summary: spec.summary,
    ...(description ? { description } : {}),
    security: security(spec.auth),
    ...(spec.parameters?.length ? { parameters: spec.parameters } : {}),
    ...(body ? { requestBody: body } : {}),
    responses,
  };
}

/** A required path parameter. */
export const pathParam = (name: string, description: string, schema: JsonSchema = { type: 'string' }, example?: unknown): JsonSchema => ({
  name, in: 'path', required: true, description, schema, ...(example !== undefined ? { example } : {}),
});

/** An optional query parameter. */
export const queryParam = (name: string, description: string, schema: JsonSchema = { type: 'string' }, example?: unknown): JsonSchema => ({
  name, in: 'query', description, schema, ...(example !== undefined ? { example } : {}),
});

/** `{$ref}` to a shared parameter of `components.parameters`. */
export const paramRef = (name: string): JsonSchema => ({ $ref: `#/components/parameters/${name}` });
