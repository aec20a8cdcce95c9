import type { Ajv, ValidateFunction } from 'ajv';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { createAjv, describeAjvError } from '../config/ajv.js';
import { AppError } from '../errors.js';
import { readSchema } from '../schemas.js';
import { bodySchemaFile, type BodySchema } from './body-schemas.js';

const ajv = createAjv({ shipped: true });
const isUri = fullFormats.uri as (s: string) => boolean;

/**
 * The formats API bodies use beyond ajv-formats' (`http-url`); the OpenAPI test checks the
 * document's examples with them too.
 */
export function addApiFormats(into: Pick<Ajv, 'addFormat'>): void {
  // `uri` alone lets `http://999.999.999.999/` through, which no URL parser accepts.
  into.addFormat('http-url', {
    type: 'string',
    validate: (s: string) => isUri(s) && URL.canParse(s) && /^https?:$/.test(new URL(s).protocol),
  });
}
addApiFormats(ajv);
const cache = new Map<string, ValidateFunction>();

/**
 * Validates a request body against a schema in `schemas/api/` (one of {@link BodySchema}); throws
 * `validation_failed` with every problem as `details`.
 *
 * @example const body = validateBody<SendRequest>('send-message', ctx.request.body);
 */
export function validateBody<T>(schemaName: BodySchema, body: unknown): T {
  let validate = cache.get(schemaName);
  if (!validate) {
    validate = ajv.compile(readSchema(bodySchemaFile(schemaName)));
    cache.set(schemaName, validate);
  }
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('validation_failed', 'the body must be a JSON object');
  }
  if (!validate(body)) {
    const details = (validate.errors ?? []).map((e) => ({ path: e.instancePath || '/', message: describeAjvError(e) }));
    throw new AppError('validation_failed', `invalid body: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, details);
  }
  return body as T;
}
