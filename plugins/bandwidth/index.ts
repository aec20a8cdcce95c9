import { readSchema, type PluginDefinition, type PluginDeps, type Provider } from '../../src/plugin-api.js';
import { createBandwidthClient } from './client.js';
import type { BandwidthOptions } from './options.js';
import { createSend } from './send.js';
import { createCallbackHandler } from './webhooks.js';

export type { BandwidthOptions } from './options.js';
export { describeDeliveryError, type DeliveryError } from './error-codes.js';
export { parseCallbacks } from './webhooks.js';

/**
 * A Bandwidth Messaging v2 provider instance (SMS, MMS, group MMS) on `bandwidth-sdk`.
 *
 * - `send`: one Bandwidth message per attempt; `to` may list up to 10 comma-separated numbers for
 *   a group message; `tag` carries the attempt id; inline `data:` media is uploaded first.
 *   Receipt: `{providerMessageId: <Bandwidth id>, status: 'queued', details}`.
 * - webhooks `callbacks`, `inbound`, `status`: the same handler; Bandwidth's JSON array of events,
 *   verified with the application's callback HTTP Basic credentials.
 *
 * @example
 *   const bw = createBandwidthProvider({ accountId: '9900000', applicationId: 'app-1', clientId, clientSecret,
 *     from: '+15550001111', baseUrl: 'https://messaging.bandwidth.com/api/v2',
 *     tokenUrl: 'https://api.bandwidth.com/api/v1/oauth2/token', channels: ['sms', 'mms'], timeout: '10s' }, deps);
 *   await bw.send({ attemptId, messageId, channel: 'sms', to: '+15557654321', content: { text: 'Hi' } }, { signal });
 */
export function createBandwidthProvider(options: BandwidthOptions, deps: PluginDeps): Provider {
  const client = createBandwidthClient(options, deps);
  const callbacks = createCallbackHandler({ username: options.callbackUsername, password: options.callbackPassword });
  return {
    send: createSend(options, deps, client),
    webhooks: Object.freeze({ callbacks, inbound: callbacks, status: callbacks }),
  };
}

export const bandwidthPlugin: PluginDefinition<BandwidthOptions> = {
  name: 'bandwidth',
  optionsSchema: readSchema('plugins/bandwidth.schema.json'),
  channels: (options) => options.channels,
  create: createBandwidthProvider,
};
