import acsMessages, { type MessagesServiceClient } from '@azure-rest/communication-messages';
import type { PluginDeps } from '../../src/plugin-api.js';
import { createEntraCredential } from './credentials.js';
import { insecureProblem, type AcsOptions } from './options.js';

// A CommonJS package: Node hands an ES module its whole `exports`, a bundler its `default`.
type CreateClient = typeof acsMessages.default;
const createClient: CreateClient = typeof acsMessages === 'function' ? (acsMessages as unknown as CreateClient) : acsMessages.default;

/**
 * The REST client of one instance: access key (the SDK signs each request with HMAC-SHA256) or an
 * Entra credential (bearer tokens), `apiVersion` when set. Throws a config-time error for an
 * insecure endpoint that is not a local fake.
 */
export function createAcsClient(options: AcsOptions, deps: PluginDeps): MessagesServiceClient {
  const problem = insecureProblem(options);
  if (problem) throw new Error(problem);
  const endpoint = options.endpoint.replace(/\/+$/, '');
  const clientOptions = {
    allowInsecureConnection: options.allowInsecure,
    ...(options.apiVersion === undefined ? {} : { apiVersion: options.apiVersion }),
    // The SDK's own retries would hide 429/5xx from the scheduler, which owns backoff.
    retryOptions: { maxRetries: 0 },
  };
  if (options.accessKey !== undefined) return createClient(`endpoint=${endpoint}/;accesskey=${options.accessKey}`, clientOptions);
  return createClient(endpoint, createEntraCredential(options, deps), clientOptions);
}
