import type { MessagesServiceClient } from '@azure-rest/communication-messages';
import type { PluginDeps } from '../../src/plugin-api.js';
import { createEntraCredential } from './credentials.js';
import { loopbackTransport } from './loopback.js';
import { insecureProblem, type AcsOptions } from './options.js';
import { loadSdk, type AcsSdk } from './sdk.js';

const BEARER_POLICY = 'bearerTokenAuthenticationPolicy';
/** The scope communication-common asks for (the double slash is Azure's own). */
const ACS_SCOPE = 'https://communication.azure.com//.default';

export interface AcsClient {
  client: MessagesServiceClient;
  isUnexpected: AcsSdk['isUnexpected'];
}

async function build(options: AcsOptions, deps: PluginDeps): Promise<AcsClient> {
  const sdk = await loadSdk();
  const transport = loopbackTransport(options.allowInsecure ? [options.endpoint, options.authorityHost] : [], sdk.pipeline);
  const endpoint = transport.secure(options.endpoint.replace(/\/+$/, ''));
  const clientOptions = {
    ...(transport.httpClient ? { httpClient: transport.httpClient } : {}),
    ...(options.apiVersion === undefined ? {} : { apiVersion: options.apiVersion }),
    // The SDK's own retries would hide 429/5xx from the scheduler, which owns backoff.
    retryOptions: { maxRetries: 0 },
  };
  if (options.accessKey !== undefined) {
    return { client: sdk.createClient(`endpoint=${endpoint}/;accesskey=${options.accessKey}`, clientOptions), isUnexpected: sdk.isUnexpected };
  }
  const credential = await createEntraCredential(options, deps, transport);
  const client = sdk.createClient(endpoint, credential, clientOptions);
  // @azure-rest/core-client and communication-common each add a bearer policy under one name, and
  // the pipeline then refuses every request ("Duplicate policy names"): keep exactly one.
  client.pipeline.removePolicy({ name: BEARER_POLICY });
  client.pipeline.addPolicy(sdk.pipeline.bearerTokenAuthenticationPolicy({ credential, scopes: [ACS_SCOPE] }));
  return { client, isUnexpected: sdk.isUnexpected };
}

/**
 * The REST client of one instance, built on first use: access key (the SDK signs each request
 * with HMAC-SHA256) or an Entra credential (bearer tokens), `apiVersion` when set, no SDK retries.
 * Plain http that is not a local fake is refused here, at config time.
 */
export function createAcsClient(options: AcsOptions, deps: PluginDeps): () => Promise<AcsClient> {
  const problem = insecureProblem(options);
  if (problem) throw new Error(problem);
  let client: Promise<AcsClient> | undefined;
  return () => {
    client ??= build(options, deps).catch((err: unknown) => {
      client = undefined;
      throw err;
    });
    return client;
  };
}
