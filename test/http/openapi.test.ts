import { readdirSync, readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_SCHEMAS, type BodySchema } from '../../src/http/body-schemas.js';
import { openApiDocument } from '../../src/http/openapi/document.js';
import { validateBody } from '../../src/http/validate.js';
import { AppError, ERROR_CODES } from '../../src/errors.js';
import { DELIVERING_SMS, startGateway, type TestGateway } from '../helpers/gateway.js';
import { documentValidator, examplesOf, servedRoutes, type OpenApiDoc } from '../helpers/openapi.js';

const doc = openApiDocument() as OpenApiDoc;
const documented = (d: OpenApiDoc): string[] =>
  Object.entries(d.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`)).sort();

// Not a router route: the omnichannel API answers at a path gateway.yaml sets (this is its default).
const gatewaySchema = JSON.parse(readFileSync('schemas/gateway.schema.json', 'utf8'));
const OMNICHANNEL_DEFAULT = gatewaySchema.properties.compat.properties.omnichannel.properties.path.default as string;

describe('OpenAPI document', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(DELIVERING_SMS);
  });
  afterAll(() => gw.close());

  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    const broken = structuredClone(doc);
    broken.paths['/v1/messages'].get.responses = { 200: { content: {} } };
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('describes every route the routers serve, with its method, and nothing they do not', () => {
    const served = servedRoutes(gw.app.http);
    expect(served).toContain('post /v1/messages');
    expect(served).toContain('delete /v1/suppressions/{channel}/{sender}/{address}');
    const listed = documented(doc);
    expect(served.filter((r) => !listed.includes(r))).toEqual([]);
    expect(listed.filter((r) => !served.includes(r))).toEqual([`post ${OMNICHANNEL_DEFAULT}`]);
  });

  it('gives every operation a unique id, an answer for success and, with an API key, its scope under both schemes', () => {
    const ids = new Set<string>();
    for (const [route, op] of Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([m, o]) => [`${m} ${path}`, o] as const))) {
      expect(ids.has(op.operationId as string), route).toBe(false);
      ids.add(op.operationId as string);
      expect(Object.keys(op.responses as object).some((s) => /^2\d\d$/.test(s)), route).toBe(true);
      const security = op.security as Record<string, string[]>[];
      if (security.length > 0) {
        expect(security.map((s) => Object.keys(s)[0]), route).toEqual(['bearerAuth', 'apiKeyHeader']);
        expect(new Set(security.map((s) => Object.values(s)[0].join())).size, route).toBe(1);
      }
    }
  });

  it('validates every example against its schema, and the check can fail', () => {
    const at = documentValidator(doc);
    const examples = examplesOf(doc);
    expect(examples.length).toBeGreaterThan(30);
    const wrong = examples.flatMap((e) => {
      const v = at(e.schema);
      return v(e.value) ? [] : [`${e.where}: ${JSON.stringify(v.errors)}`];
    });
    expect(wrong).toEqual([]);

    const send = examples.find((e) => e.where.includes('/v1/messages post requestBody'))!;
    expect(at(send.schema)({ ...(send.value as object), to: {} })).toBe(false);
    const message = examples.find((e) => e.where.includes('/v1/messages/{id} get responses 200'))!;
    expect(at(message.schema)({ ...(message.value as object), status: 'lost' })).toBe(false);
  });

  it('takes its request bodies from the files the daemon validates with: every example passes validateBody, and an unknown field does not', () => {
    const byComponent = new Map<string, BodySchema>(Object.entries(BODY_SCHEMAS).map(([file, component]) => [component, file as BodySchema]));
    const seen = new Set<BodySchema>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const media = (op.requestBody as { content?: Record<string, { schema: { $ref?: string }; examples?: Record<string, { value: object }> }> } | undefined)?.content?.['application/json'];
        const file = byComponent.get(media?.schema.$ref?.split('/').pop() ?? '');
        if (!file) continue;
        seen.add(file);
        for (const [name, { value }] of Object.entries(media!.examples ?? {})) {
          expect(() => validateBody(file, structuredClone(value)), `${method} ${path} ${name}`).not.toThrow();
          expect(() => validateBody(file, { ...structuredClone(value), unexpectedField: 1 }), `${method} ${path} ${name}`).toThrow(AppError);
        }
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(BODY_SCHEMAS).sort());
  });

  it('holds every body schema of schemas/api/', () => {
    const files = readdirSync('schemas/api').filter((f) => f !== 'responses.schema.json').map((f) => f.replace(/\.schema\.json$/, ''));
    expect(files.sort()).toEqual(Object.keys(BODY_SCHEMAS).sort());
    const sendFile = JSON.parse(readFileSync('schemas/api/send-message.schema.json', 'utf8'));
    const component = doc.components.schemas.SendMessageRequest as { required: string[]; properties: Record<string, unknown> };
    expect(component.required).toEqual(sendFile.required);
    expect(Object.keys(component.properties)).toEqual(Object.keys(sendFile.properties));
    expect(component.properties.from).toEqual(sendFile.properties.from);
  });

  it('lists every error code the error middleware can render', () => {
    const code = (doc.components.schemas.Error as { properties: { code: { enum: string[] } } }).properties.code.enum;
    expect(code).toEqual(Object.keys(ERROR_CODES));
  });

  it('is the same document every time it is built', () => {
    expect(JSON.stringify(openApiDocument())).toBe(JSON.stringify(doc));
  });

  it('is served at GET /openapi.json without an API key, with an ETag that answers 304', async () => {
    const res = await gw.request.get('/openapi.json').expect(200).expect('content-type', /application\/json/);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(doc)));
    const etag = res.headers.etag;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    await gw.request.get('/openapi.json').set('if-none-match', etag).expect(304);
    await gw.request.get('/openapi.json').set('if-none-match', '"other"').expect(200);
  });
});
