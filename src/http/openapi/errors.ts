import { STATUS_CODES } from 'node:http';
import { ERROR_CODES, type ErrorCode } from '../../errors.js';
import { schemaRef, type JsonSchema } from './schemas.js';

/** One example per stable code (typed: a new code needs one), as the error middleware renders it. */
const EXAMPLES: Readonly<Record<ErrorCode, { message: string; details?: unknown }>> = {
  bad_request: { message: 'the request could not be understood' },
  invalid_json: { message: 'the request body could not be parsed' },
  validation_failed: {
    message: 'invalid body: /to missing required property "to"',
    details: [{ path: '/to', message: 'missing required property "to"' }],
  },
  config_invalid: {
    message: 'the new configuration was refused; the previous one keeps serving',
    details: ['gateway.yaml:12:7: routes.default.steps[0].providers[0]: unknown provider instance "twilio-eu"'],
  },
  unauthorized: { message: 'a valid API key is required (Authorization: Bearer <key> or x-api-key)' },
  forbidden: { message: 'this API key lacks the "admin" scope' },
  signature_invalid: { message: 'the webhook signature does not match' },
  not_found: { message: 'message 01JDQ4ZK8M3V6T9XW2B5N7R0CE does not exist' },
  method_not_allowed: { message: 'DELETE is not allowed on /v1/messages; allowed: HEAD, GET, POST' },
  conflict: { message: 'the message is already final' },
  idempotency_conflict: { message: 'this Idempotency-Key was used with a different body' },
  payload_too_large: { message: 'the request body is larger than 1mb' },
  unsupported_media_type: { message: 'this endpoint takes application/json, not text/plain' },
  not_ready: { message: 'starting: recovering stored timers' },
  unavailable: { message: 'the gateway cannot store anything right now; try again shortly' },
  internal: { message: 'internal error' },
};

/** `Bad Request` → `BadRequest`: the name of a status's shared response. */
const responseName = (status: number): string => (STATUS_CODES[status] ?? `Status${status}`).replace(/[^A-Za-z0-9]/g, '');

/** `{$ref}` to the shared error response of `status`. */
export const errorResponseRef = (status: number): JsonSchema => ({ $ref: `#/components/responses/${responseName(status)}` });

/**
 * `components.responses`: one per status an error can have, each with the one error shape and an
 * example of every code with that status, rendered as `src/http/errors.ts` renders them.
 */
export function errorResponses(): Record<string, JsonSchema> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const [code, { status }] of Object.entries(ERROR_CODES) as [ErrorCode, { status: number }][]) {
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<string, JsonSchema> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const examples: Record<string, JsonSchema> = {};
    for (const code of codes) {
      const { message, details } = EXAMPLES[code];
      examples[code] = { value: { error: STATUS_CODES[status], code, message, ...(details !== undefined ? { details } : {}) } };
    }
    out[responseName(status)] = {
      description: `${STATUS_CODES[status]}: ${codes.join(', ')}`,
      ...(status === 503 ? { headers: { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } } } } : {}),
      content: { 'application/json': { schema: schemaRef('Error'), examples } },
    };
  }
  return out;
}

/** The `Error` component's codes: every one `src/errors.ts` knows. */
export const errorCodes = (): ErrorCode[] => Object.keys(ERROR_CODES) as ErrorCode[];
