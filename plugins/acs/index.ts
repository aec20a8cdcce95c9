import { readSchema, type PluginDefinition, type PluginDeps, type Provider } from '../../src/plugin-api.js';
import { createAcsClient } from './client.js';
import type { AcsOptions } from './options.js';
import { createSend } from './send.js';
import { createEventsHandler } from './webhooks.js';

export type { AcsOptions } from './options.js';
export { isLoopback, insecureProblem } from './options.js';
export { templateOf, notificationOf } from './content.js';
export { parseDelivery } from './webhooks.js';

/**
 * An Azure Communication Services Advanced Messaging instance on `@azure-rest/communication-messages`.
 *
 * - `send`: WhatsApp and SMS (Messaging Connect) through each channel's registration; text, media,
 *   template. Receipt: `{providerMessageId: <ACS messageId>, status: 'queued'}`.
 * - webhook `events` (Event Grid, both schemas, and the CloudEvents OPTIONS handshake):
 *   authenticated by `webhookSecret`; delivery status and received messages.
 *
 * @example
 *   const acs = createAcsProvider({ endpoint: 'https://contoso.communication.azure.com', accessKey,
 *     channelRegistrations: { whatsapp: '9f2c…' }, webhookSecret, authorityHost: 'https://login.microsoftonline.com',
 *     allowInsecure: false, defaultLanguage: 'en_US', timeout: '10s' }, deps);
 */
export function createAcsProvider(options: AcsOptions, deps: PluginDeps): Provider {
  const client = createAcsClient(options, deps);
  return {
    send: createSend(options, deps, client),
    webhooks: Object.freeze({ events: createEventsHandler(options.webhookSecret, options.endpoint) }),
    webhookOptions: new Set(['events']),
  };
}

export const acsPlugin: PluginDefinition<AcsOptions> = {
  name: 'acs',
  optionsSchema: readSchema('plugins/acs.schema.json'),
  channels: (options) => (['whatsapp', 'sms'] as const).filter((c) => options.channelRegistrations[c] !== undefined),
  // Consent windows and opt-outs are kept per channel registration: the business side of a chat.
  sender: (options, channel) => (channel === 'whatsapp' || channel === 'sms' ? options.channelRegistrations[channel] : undefined),
  create: createAcsProvider,
};
