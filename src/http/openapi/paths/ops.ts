import { operation, paramRef, pathParam } from '../operation.js';
import { schemaRef, type JsonSchema } from '../schemas.js';
import { CONFIG_HASH, DEAD_LETTER } from './examples.js';

const deadLetterId = pathParam('id', 'The dead letter id (a ULID).', schemaRef('Ulid'), DEAD_LETTER.id);

/** What a provider may post: its own format, read leniently. */
const PROVIDER_BODY: JsonSchema = {
  description: 'The provider\'s own callback, as it sends it: JSON, a form (Twilio) or text (SNS).',
  content: {
    'application/json': { schema: {} },
    'application/x-www-form-urlencoded': { schema: { type: 'object' } },
    'text/plain': { schema: { type: 'string' } },
  },
};

/** What the daemon answers a provider: whatever that provider expects (often an empty 200). */
const PROVIDER_ANSWER = { description: 'Stored (or ignored as not for this instance); the body is what the provider expects, often empty.', content: { '*/*': { schema: {} } } };

const webhookParams = [
  pathParam('instance', 'A provider instance of gateway.yaml (`bandwidth` for the Bandwidth integration\'s seed paths).', { type: 'string' }, 'twilio-us'),
  pathParam('kind', 'What the provider calls with: inbound, status, events… (per plugin).', { type: 'string' }, 'status'),
];

/** Operations (health, metrics, reload, config, dead letters), provider webhooks and this document. */
export function opsPaths(): Record<string, Record<string, JsonSchema>> {
  return {
    '/-/healthy': {
      get: operation({
        id: 'getHealthy', tag: 'ops', summary: 'Liveness: the process answers', auth: 'none',
        answers: { 200: { description: 'Alive.', schema: 'Healthy', examples: { ok: { summary: 'Alive', value: { status: 'ok' } } } } },
      }),
    },
    '/-/ready': {
      get: operation({
        id: 'getReady', tag: 'ops', summary: 'Readiness: stored timers recovered and the store writable', auth: 'none',
        answers: { 200: { description: 'Ready, with the loaded configuration\'s hash.', schema: 'Ready', examples: { ready: { summary: 'Ready', value: { status: 'ready', configHash: CONFIG_HASH } } } } },
        errors: [503],
      }),
    },
    '/metrics': {
      get: operation({
        id: 'getMetrics', tag: 'ops', summary: 'Prometheus metrics', auth: 'none',
        answers: { 200: { description: 'The Prometheus text format (switchboard_* and the process defaults).', content: { 'text/plain': { schema: { type: 'string' } } } } },
      }),
    },
    '/-/reload': {
      post: operation({
        id: 'reload', tag: 'ops', summary: 'Reload gateway.yaml', auth: { scope: 'admin' },
        description: 'Builds the whole new runtime first and swaps it in one step. A refused file is a 400 config_invalid with its errors (secrets masked); the previous configuration keeps serving. Takes no body.',
        answers: { 200: { description: 'Reloaded.', schema: 'Reloaded', examples: { reloaded: { summary: 'Reloaded', value: { status: 'reloaded', configHash: CONFIG_HASH, restartRequired: [] } } } } },
        errors: [400, 415],
      }),
    },
    '/-/config': {
      get: operation({
        id: 'getConfig', tag: 'ops', summary: 'The loaded configuration, secrets masked', auth: { scope: 'admin' },
        answers: {
          200: {
            description: 'gateway.yaml as loaded (defaults filled in, `${…}` resolved, secrets masked); its shape is schemas/gateway.schema.json.',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
        },
      }),
    },
    '/v1/dead-letters': {
      get: operation({
        id: 'listDeadLetters', tag: 'dead-letters', summary: 'Work that ran out of retries, newest first', auth: { scope: 'admin' },
        parameters: [paramRef('Limit'), paramRef('Cursor')],
        answers: { 200: { description: 'One page of dead letters.', schema: 'DeadLetterPage', examples: { page: { summary: 'A status callback that never got through', value: { items: [DEAD_LETTER] } } } } },
        errors: [400],
      }),
    },
    '/v1/dead-letters/{id}/replay': {
      post: operation({
        id: 'replayDeadLetter', tag: 'dead-letters', summary: 'Queue a dead letter again', auth: { scope: 'admin' },
        description: 'Takes no body.',
        parameters: [deadLetterId],
        answers: { 202: { description: 'Queued again, with its tries reset.', schema: 'Requeued', examples: { requeued: { summary: 'Requeued', value: { id: DEAD_LETTER.id, status: 'requeued' } } } } },
        errors: [404, 415, 503],
      }),
    },
    '/v1/dead-letters/{id}': {
      delete: operation({
        id: 'deleteDeadLetter', tag: 'dead-letters', summary: 'Discard a dead letter', auth: { scope: 'admin' },
        parameters: [deadLetterId],
        answers: { 204: { description: 'Discarded.' } },
        errors: [404, 503],
      }),
    },
    '/webhooks/{instance}/{kind}': {
      post: operation({
        id: 'receiveWebhook', tag: 'webhooks', summary: 'A provider callback: inbound messages, delivery receipts, events', auth: 'provider',
        description: 'Answered 200 only once what it carries is stored. An unknown instance or kind is a 404; a bad signature a 401 or 403.',
        parameters: webhookParams, rawBody: PROVIDER_BODY,
        answers: { 200: PROVIDER_ANSWER },
        errors: [400, 401, 403, 404, 413, 415, 503],
      }),
      get: operation({
        id: 'webhookHandshake', tag: 'webhooks', summary: 'A subscription handshake (Meta\'s hub.challenge)', auth: 'provider',
        description: 'Only for kinds whose provider has a handshake; any other is a 404.',
        parameters: webhookParams,
        answers: { 200: { description: 'The challenge, echoed.', content: { 'text/plain': { schema: { type: 'string' } } } } },
        errors: [403, 404],
      }),
      options: operation({
        id: 'webhookPreflight', tag: 'webhooks', summary: 'A CloudEvents validation handshake, for kinds that have one', auth: 'provider',
        description: 'Kinds without one answer with `Allow` as any route does.',
        parameters: webhookParams,
        answers: { 200: { description: 'Allowed, with `WebHook-Allowed-Origin`.', headers: { 'WebHook-Allowed-Origin': { description: 'The origin the provider asked for.', schema: { type: 'string' } } } } },
      }),
    },
    '/openapi.json': {
      get: operation({
        id: 'getOpenApi', tag: 'ops', summary: 'This document', auth: 'none',
        answers: { 200: { description: 'The OpenAPI 3.1 description of this API (the same for every daemon of a version).', content: { 'application/json': { schema: { type: 'object' } } } } },
      }),
    },
  };
}
