import { readSchema, type PluginDefinition, type PluginDeps, type Provider } from '../../src/plugin-api.js';
import type { InfobipOptions } from './options.js';
import { createSend } from './send.js';
import { SECRET_PARAM, createResultsHandler } from './webhooks.js';

export type { InfobipOptions } from './options.js';
export { mapInfobipStatus } from './status-map.js';
export { describeInfobipError } from './errors.js';
export { parseResults } from './webhooks.js';

/** Where reports go: this instance's `reports` webhook with the secret, when both are known. */
function notifyUrlOf(options: InfobipOptions, deps: PluginDeps): string | undefined {
  const url = deps.webhookUrl('reports');
  if (url === undefined || options.webhookSecret === undefined) {
    deps.logger.warn({ instance: deps.instance }, 'infobip: without server.publicUrl and webhookSecret no delivery reports are requested');
    return undefined;
  }
  return `${url}?${SECRET_PARAM}=${encodeURIComponent(options.webhookSecret)}`;
}

/**
 * An Infobip provider instance over plain HTTPS (the plugin kit's client; no SDK).
 *
 * - `send`: SMS via `POST /sms/3/messages`, WhatsApp text/media/template via
 *   `POST /whatsapp/1/message/…`; the attempt id is Infobip's `messageId` and `callbackData`.
 * - webhooks `reports` and `inbound`: `{results: [...]}` with `?secret=` or Basic auth.
 *
 * @example
 *   const ib = createInfobipProvider({ baseUrl: 'https://xyz.api.infobip.com', apiKey, from: 'ACME',
 *     channels: ['sms'], webhookSecret, webhookUsername: 'infobip', timeout: '10s' }, deps);
 *   await ib.send({ attemptId, messageId, channel: 'sms', to: '+41793026727', content: { text: 'Hi' } }, { signal });
 */
export function createInfobipProvider(options: InfobipOptions, deps: PluginDeps): Provider {
  const results = createResultsHandler(options.webhookSecret, options.webhookUsername);
  return {
    send: createSend(options, deps, notifyUrlOf(options, deps)),
    webhooks: Object.freeze({ reports: results, inbound: results }),
  };
}

/** The channels these options can send on: each needs its sender. */
const usableChannels = (options: InfobipOptions) =>
  options.channels.filter((c) => (c === 'sms' ? options.from !== undefined : options.whatsappFrom !== undefined));

export const infobipPlugin: PluginDefinition<InfobipOptions> = {
  name: 'infobip',
  optionsSchema: readSchema('plugins/infobip.schema.json'),
  channels: usableChannels,
  sender: (options, channel) => (channel === 'whatsapp' ? options.whatsappFrom : options.from),
  create: createInfobipProvider,
};
