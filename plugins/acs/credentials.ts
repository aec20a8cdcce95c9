import type { TokenCredential } from '@azure/core-auth';
import { createDefaultHttpClient, type HttpClient as AzureHttpClient } from '@azure/core-rest-pipeline';
import { ClientSecretCredential, ManagedIdentityCredential } from '@azure/identity';
import type { PluginDeps } from '../../src/plugin-api.js';
import type { AcsOptions } from './options.js';

/**
 * `@azure/identity` refuses a plain-http authority outright. For a loopback fake (`allowInsecure`,
 * checked before this runs) the credential is told the https form of the same host, and its
 * transport sends those requests as the http they really are.
 */
function authorityTransport(authorityHost: string): { authorityHost: string; httpClient?: AzureHttpClient } {
  const url = new URL(authorityHost);
  if (url.protocol !== 'http:') return { authorityHost };
  const inner = createDefaultHttpClient();
  const host = url.host;
  return {
    authorityHost: `https://${host}`,
    httpClient: {
      sendRequest(request) {
        const target = new URL(request.url);
        if (target.protocol === 'https:' && target.host === host) {
          target.protocol = 'http:';
          request.url = target.toString();
          request.allowInsecureConnection = true;
        }
        return inner.sendRequest(request);
      },
    },
  };
}

/**
 * The Entra credential of an instance, its token requests timed as `entra_token`. The REST
 * client's bearer policy caches the token and asks again shortly before it expires (the refresh).
 */
export function createEntraCredential(options: AcsOptions, deps: PluginDeps): TokenCredential {
  let credential: TokenCredential;
  if (options.managedIdentity) {
    credential = options.clientId === undefined ? new ManagedIdentityCredential() : new ManagedIdentityCredential({ clientId: options.clientId });
  } else {
    const { authorityHost, httpClient } = authorityTransport(options.authorityHost);
    credential = new ClientSecretCredential(options.tenantId as string, options.clientId as string, options.clientSecret as string, {
      authorityHost,
      ...(httpClient ? { httpClient, disableInstanceDiscovery: true } : {}),
    });
  }
  return { getToken: (scopes, opts) => deps.metrics.time('entra_token', () => credential.getToken(scopes, opts)) };
}
