import { awsOptionsSchema, createAwsProvider, requireId, type PluginDefinition, type PluginDeps, type Provider } from '../../src/plugin-api.js';
import { WHATSAPP_ERROR_RULES } from './errors.js';
import { createIdMap, parseWhatsAppNotification } from './events.js';
import type { AwsWhatsAppOptions } from './options.js';
import { buildWhatsAppMessage } from './send.js';

export type { AwsWhatsAppOptions } from './options.js';
export { WHATSAPP_STATUS, createIdMap, parseWhatsAppNotification } from './events.js';
export { buildWhatsAppMessage } from './send.js';

const encoder = new TextEncoder();

/**
 * An AWS End User Messaging Social (WhatsApp) provider: one `SendWhatsAppMessage` per attempt with
 * Meta's message JSON; Meta's statuses and inbound messages through SNS at
 * `POST /webhooks/<instance>/sns` (inbound messages open consent windows like any inbound).
 *
 * @example
 *   const wa = createAwsWhatsAppProvider({ region: 'us-east-1', originationPhoneNumberId: 'phone-number-id-…', from: '+15550001111', metaApiVersion: 'v20.0', templateLanguage: 'en_US', timeout: '10s' }, deps);
 *   await wa.send({ attemptId, messageId, channel: 'whatsapp', to: '+15557654321', content: { text: 'Hi' } }, { signal });
 */
export function createAwsWhatsAppProvider(options: AwsWhatsAppOptions, deps: PluginDeps): Provider {
  const ids = createIdMap();
  const business = options.from ?? options.originationPhoneNumberId;
  return createAwsProvider({
    service: 'End User Messaging Social', options, deps, rules: WHATSAPP_ERROR_RULES,
    parse: (text) => parseWhatsAppNotification(text, ids, business),
    client: async (config) => new (await import('@aws-sdk/client-socialmessaging')).SocialMessagingClient(config),
    async send(social, message, abortSignal) {
      const payload = buildWhatsAppMessage(message, options.templateLanguage);
      const { SendWhatsAppMessageCommand } = await import('@aws-sdk/client-socialmessaging');
      const out = await social.send(new SendWhatsAppMessageCommand({
        originationPhoneNumberId: options.originationPhoneNumberId,
        message: encoder.encode(JSON.stringify(payload)),
        metaApiVersion: options.metaApiVersion,
      }), { abortSignal });
      return { providerMessageId: requireId('End User Messaging Social', out.messageId), status: 'queued', details: { whatsappType: payload.type } };
    },
  });
}

export const awsWhatsAppPlugin: PluginDefinition<AwsWhatsAppOptions> = {
  name: 'aws-whatsapp',
  optionsSchema: awsOptionsSchema('plugins/aws-whatsapp.schema.json'),
  channels: () => ['whatsapp'],
  sender: (options) => options.from ?? options.originationPhoneNumberId,
  create: createAwsWhatsAppProvider,
};
