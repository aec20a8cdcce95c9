import acsMessages, { type MessagesServiceClient } from '@azure-rest/communication-messages';
import { bearerTokenAuthenticationPolicy } from '@azure/core-rest-pipeline';
import type { PluginDeps } from '../../src/plugin-api.js';
import { createEntraCredential } from './credentials.js';
import { loopbackTransport } from './loopback.js';
import { insecureProblem, type AcsOptions } from './options.js';

// A CommonJS package: Node hands an ES module its whole `exports`, a bundler its `default`.
type CreateClient = typeof acsMessages.default;
const createClient: CreateClient = typeof acsMessages === 'function' ? (acsMessages as unknown as CreateClient) : acsMessages.default;

const BEARER_POLICY = 'bearerTokenAuthenticationPolicy';
/** The scope communication-common asks for (the double slash is Azure's own). */
const ACS_SCOPE = 'https://communication.azure.com//.default';

/**
 * The REST client of one instance: access key (the SDK signs each request with HMAC-SHA256) or an
 * Entra credential (bearer tokens), `apiVersion` when set, no SDK retries (the scheduler owns
 * backoff). Throws a config-time error for plain http that is not a local fake.
 */
export function createAcsClient(options: AcsOptions, deps: PluginDeps): MessagesServiceClient {
  const problem = insecureProblem(options);
  if (problem) throw new Error(problem);
  const transport = loopbackTransport(options.allowInsecure ? [options.endpoint, options.authorityHost] : []);
  const endpoint = transport.secure(options.endpoint.replace(/\/+$/, ''));
  const clientOptions = {
    ...(transport.httpClient ? { httpClient: transport.httpClient } : {}),
    ...(options.apiVersion === undefined ? {} : { apiVersion: options.apiVersion }),
    retryOptions: { maxRetries: 0 },
  };
  if (options.accessKey !== undefined) return createClient(`endpoint=${endpoint}/;accesskey=${options.accessKey}`, clientOptions);
  const credential = createEntraCredential(options, deps, transport);
  const client = createClient(endpoint, credential, clientOptions);
  // @azure-rest/core-client and communication-common each add a bearer policy under one name, and
  // the pipeline then refuses every request ("Duplicate policy names"): keep exactly one.
  client.pipeline.removePolicy({ name: BEARER_POLICY });
  client.pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential, scopes: [ACS_SCOPE] }));
  return client;
}
