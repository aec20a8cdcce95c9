import { packageVersion } from '../../version.js';
import { errorCodes, errorResponses } from './errors.js';
import { securitySchemes } from './operation.js';
import { compatPaths } from './paths/compat.js';
import { messagePaths } from './paths/messages.js';
import { opsPaths } from './paths/ops.js';
import { policyPaths } from './paths/policies.js';
import { uiPaths } from './paths/ui.js';
import { componentSchemas, schemaRef, type JsonSchema } from './schemas.js';

const DESCRIPTION = `Switchboard's REST API: send messages over WhatsApp, SMS/MMS and email with channel fallback; read messages, inbound messages, consent and suppression state; operate the daemon.

API keys come from \`api.keys\` in gateway.yaml, presented as \`Authorization: Bearer <key>\` or \`x-api-key\`; each operation names the scope its key needs (send, read, admin; an inline route needs send:inline). Provider webhooks are authenticated by each provider's own scheme instead.

Every error is \`{error, code, message, details?}\` with a stable \`code\`. Every answer carries \`x-request-id\` (the caller's, when it sends a usable one).`;

const TAGS: { name: string; description: string }[] = [
  { name: 'messages', description: 'Send messages and follow them.' },
  { name: 'inbound', description: 'Messages users sent.' },
  { name: 'consent', description: 'WhatsApp customer-service windows and held messages.' },
  { name: 'suppressions', description: 'Opt-outs (STOP) per channel and business sender.' },
  { name: 'dead-letters', description: 'Work that ran out of retries: inspect, replay, discard.' },
  { name: 'ops', description: 'Health, readiness, metrics, reload and the loaded configuration.' },
  { name: 'status-page', description: 'The browser status page at /ui (files that hold no data) and the figures it shows.' },
  { name: 'webhooks', description: 'Provider callbacks.' },
  { name: 'compat', description: 'The replaced integrations\' endpoints, translated onto the core API.' },
];

const PARAMETERS: Record<string, JsonSchema> = {
  Limit: { name: 'limit', in: 'query', description: 'Items per page.', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 }, example: 50 },
  Cursor: { name: 'cursor', in: 'query', description: 'nextCursor of the previous page.', schema: schemaRef('Ulid'), example: '01JDQ4ZK8M3V6T9XW2B5N7R0CE' },
  Since: {
    name: 'since', in: 'query', description: 'Only items from this time on: ISO 8601 or epoch milliseconds.',
    schema: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'string', pattern: '^[0-9]+$' }] }, example: '2026-11-29T00:00:00Z',
  },
  IdempotencyKey: {
    name: 'Idempotency-Key', in: 'header', description: 'The same key (per API key) returns the same message and sends nothing twice; with a different body, a 409.',
    schema: { type: 'string', minLength: 1, maxLength: 255 }, example: 'order-A-1001-shipped',
  },
};

function paths(): Record<string, Record<string, JsonSchema>> {
  const out: Record<string, Record<string, JsonSchema>> = {};
  for (const group of [messagePaths(), policyPaths(), opsPaths(), uiPaths(), compatPaths()]) {
    for (const [path, item] of Object.entries(group)) {
      if (out[path]) throw new Error(`OpenAPI: ${path} is described twice`);
      out[path] = item;
    }
  }
  return out;
}

function schemas(): Record<string, JsonSchema> {
  const all = Object.fromEntries(componentSchemas());
  const error = all.Error as { properties: Record<string, JsonSchema> };
  error.properties.code = { ...error.properties.code, enum: errorCodes() };
  return all;
}

/**
 * The OpenAPI 3.1 document of the REST API, built from the schemas the daemon validates with.
 * Deterministic: the same for every daemon of one version, whatever its config.
 *
 * @example const doc = openApiDocument(); doc.paths['/v1/messages'].post.operationId // 'sendMessage'
 */
export function openApiDocument(): JsonSchema & { paths: Record<string, Record<string, JsonSchema>> } {
  return {
    openapi: '3.1.1',
    info: { title: 'Switchboard', version: packageVersion(), description: DESCRIPTION, license: { name: 'Apache-2.0', identifier: 'Apache-2.0' } },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    tags: TAGS,
    paths: paths(),
    components: { schemas: schemas(), parameters: PARAMETERS, responses: errorResponses(), securitySchemes: securitySchemes() },
  };
}
