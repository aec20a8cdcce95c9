import type { HttpClient as AzureHttpClient } from '@azure/core-rest-pipeline';
import type { AcsSdk } from './sdk.js';

export interface LoopbackTransport {
  /** The URL as the SDK must be told it: the https form of a plain-http one. */
  secure(url: string): string;
  /** Sends requests for those hosts as the plain http they really are; undefined when none is plain. */
  httpClient?: AzureHttpClient;
}

/**
 * The Azure SDKs refuse plain http where a token is involved (`@azure/identity` for its authority,
 * the bearer policy for every request). For a loopback fake (`allowInsecure`, checked before this
 * runs) the SDK is told the https form of the same host, and its transport downgrades exactly
 * those requests. HMAC signatures cover the host, not the scheme, so they still match.
 */
export function loopbackTransport(urls: readonly string[], pipeline: AcsSdk['pipeline']): LoopbackTransport {
  const plainHosts = new Set(urls.filter((u) => u.startsWith('http://')).map((u) => new URL(u).host));
  const secure = (url: string) => (url.startsWith('http://') && plainHosts.has(new URL(url).host) ? `https://${url.slice('http://'.length)}` : url);
  if (plainHosts.size === 0) return { secure };
  const inner = pipeline.createDefaultHttpClient();
  return {
    secure,
    httpClient: {
      sendRequest(request) {
        const target = new URL(request.url);
        if (target.protocol === 'https:' && plainHosts.has(target.host)) {
          target.protocol = 'http:';
          request.url = target.toString();
          request.allowInsecureConnection = true;
        }
        return inner.sendRequest(request);
      },
    },
  };
}
