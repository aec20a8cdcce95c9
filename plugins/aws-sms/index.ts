import { awsOptionsSchema, createAwsProvider, requireId, smsSegments, type PluginDefinition, type PluginDeps, type Provider } from '../../src/plugin-api.js';
import { SMS_ERROR_RULES } from './errors.js';
import { parseSmsNotification } from './events.js';
import type { AwsSmsOptions } from './options.js';
import { buildSendText } from './send.js';

export type { AwsSmsOptions } from './options.js';
export { SMS_EVENT_STATUS, parseSmsNotification } from './events.js';
export { CONTEXT_ATTEMPT, CONTEXT_MESSAGE } from './send.js';

/**
 * An AWS End User Messaging SMS provider: one `SendTextMessage` per attempt (the attempt id in
 * `Context`), TEXT_* events and two-way inbound SMS through SNS at `POST /webhooks/<instance>/sns`.
 *
 * @example
 *   const sms = createAwsSmsProvider({ region: 'us-east-1', originationIdentity: '+15550002222', messageType: 'TRANSACTIONAL', timeout: '10s' }, deps);
 *   await sms.send({ attemptId, messageId, channel: 'sms', to: '+15557654321', content: { text: 'Hi' } }, { signal });
 */
export function createAwsSmsProvider(options: AwsSmsOptions, deps: PluginDeps): Provider {
  return createAwsProvider({
    service: 'End User Messaging SMS', options, deps, rules: SMS_ERROR_RULES, parse: parseSmsNotification,
    client: async (config) => new (await import('@aws-sdk/client-pinpoint-sms-voice-v2')).PinpointSMSVoiceV2Client(config),
    async send(sms, message, abortSignal) {
      const input = buildSendText(message, options);
      const { SendTextMessageCommand } = await import('@aws-sdk/client-pinpoint-sms-voice-v2');
      const out = await sms.send(new SendTextMessageCommand(input), { abortSignal });
      const { segments, encoding } = smsSegments(input.MessageBody ?? '');
      return { providerMessageId: requireId('End User Messaging SMS', out.MessageId), status: 'queued', details: { segments, encoding, messageType: input.MessageType } };
    },
  });
}

export const awsSmsPlugin: PluginDefinition<AwsSmsOptions> = {
  name: 'aws-sms',
  optionsSchema: awsOptionsSchema('plugins/aws-sms.schema.json'),
  channels: () => ['sms'],
  sender: (options) => options.originationIdentity,
  create: createAwsSmsProvider,
};
