import type { TokenCredential } from '@azure/core-auth';

type Messages = typeof import('@azure-rest/communication-messages');
type Pipeline = typeof import('@azure/core-rest-pipeline');
type Identity = typeof import('@azure/identity');

/** The Azure SDK pieces the plugin uses, loaded on first use. */
export interface AcsSdk {
  createClient: Messages['default'];
  isUnexpected: Messages['isUnexpected'];
  pipeline: Pipeline;
}

let sdk: Promise<AcsSdk> | undefined;
let identity: Promise<Identity> | undefined;

/**
 * The Azure SDKs take about two seconds to import on a busy machine. Loading them when the first
 * message goes out keeps `switchboard check` and the start of a gateway without ACS traffic fast.
 */
export function loadSdk(): Promise<AcsSdk> {
  sdk ??= Promise.all([import('@azure-rest/communication-messages'), import('@azure/core-rest-pipeline')]).then(([messages, pipeline]) => {
    // A CommonJS package: Node hands an ES module its whole `exports`, a bundler its `default`.
    const mod = messages.default as unknown;
    const createClient = (typeof mod === 'function' ? mod : (mod as { default: Messages['default'] }).default) as Messages['default'];
    return { createClient, isUnexpected: messages.isUnexpected, pipeline };
  });
  return sdk;
}

/** `@azure/identity`, only for instances that use Microsoft Entra. */
export function loadIdentity(): Promise<Identity> {
  identity ??= import('@azure/identity');
  return identity;
}

export type { TokenCredential };
