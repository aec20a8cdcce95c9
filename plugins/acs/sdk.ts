import type { TokenCredential } from '@azure/core-auth';
import { lazyImport } from '../../src/plugin-api.js';

type Messages = typeof import('@azure-rest/communication-messages');
type Pipeline = typeof import('@azure/core-rest-pipeline');

/** The Azure SDK pieces the plugin uses, loaded on first use. */
export interface AcsSdk {
  createClient: Messages['default'];
  isUnexpected: Messages['isUnexpected'];
  pipeline: Pipeline;
}

const messagesSdk = lazyImport('@azure-rest/communication-messages', () => import('@azure-rest/communication-messages'));
const pipelineSdk = lazyImport('@azure/core-rest-pipeline', () => import('@azure/core-rest-pipeline'));

/**
 * The Azure SDKs take about two seconds to import on a busy machine. Loading them when the first
 * message goes out keeps `switchboard check` and the start of a gateway without ACS traffic fast.
 */
export async function loadSdk(): Promise<AcsSdk> {
  const [messages, pipeline] = await Promise.all([messagesSdk(), pipelineSdk()]);
  // A CommonJS package: Node hands an ES module its whole `exports`, a bundler its `default`.
  const mod = messages.default as unknown;
  const createClient = (typeof mod === 'function' ? mod : (mod as { default: Messages['default'] }).default) as Messages['default'];
  return { createClient, isUnexpected: messages.isUnexpected, pipeline };
}

/** `@azure/identity`, only for instances that use Microsoft Entra. */
export const loadIdentity = lazyImport('@azure/identity', () => import('@azure/identity'));

export type { TokenCredential };
