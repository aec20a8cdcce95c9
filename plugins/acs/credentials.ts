import type { PluginDeps } from '../../src/plugin-api.js';
import type { LoopbackTransport } from './loopback.js';
import type { AcsOptions } from './options.js';
import { loadIdentity, type TokenCredential } from './sdk.js';

/**
 * The Entra credential of an instance (client secret, or the host's managed identity), its token
 * requests timed as `entra_token`. The REST client's bearer policy caches the token and asks again
 * shortly before it expires; MSAL then fetches a new one.
 */
export async function createEntraCredential(options: AcsOptions, deps: PluginDeps, transport: LoopbackTransport): Promise<TokenCredential> {
  const { ClientSecretCredential, ManagedIdentityCredential } = await loadIdentity();
  let credential: TokenCredential;
  if (options.managedIdentity) {
    credential = options.clientId === undefined ? new ManagedIdentityCredential() : new ManagedIdentityCredential({ clientId: options.clientId });
  } else {
    credential = new ClientSecretCredential(options.tenantId as string, options.clientId as string, options.clientSecret as string, {
      authorityHost: transport.secure(options.authorityHost),
      // A local fake authority has no instance-discovery endpoint.
      ...(transport.httpClient ? { httpClient: transport.httpClient, disableInstanceDiscovery: true } : {}),
    });
  }
  return { getToken: (scopes, opts) => deps.metrics.time('entra_token', () => credential.getToken(scopes, opts)) };
}
