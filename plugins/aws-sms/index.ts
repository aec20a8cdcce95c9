import { ProviderError, awsCall, awsClientConfig, lazyAwsClient, awsOptionsSchema, parseDuration, smsSegments, snsWebhooks, type PluginDefinition, type PluginDeps, type Provider } from '../../src/plugin-api.js';
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
  const timeoutMs = parseDuration(options.timeout) ?? 10_000;
  const config = awsClientConfig(options, timeoutMs);
  const client = lazyAwsClient(async () => new (await import('@aws-sdk/client-pinpoint-sms-voice-v2')).PinpointSMSVoiceV2Client(config));
  return {
    async send(message, { signal }) {
      const input = buildSendText(message, options);
      const { SendTextMessageCommand } = await import('@aws-sdk/client-pinpoint-sms-voice-v2');
      const sms = await client.get();
      const out = await awsCall({ service: 'End User Messaging SMS', timeoutMs, signal, rules: SMS_ERROR_RULES }, (abortSignal) => sms.send(new SendTextMessageCommand(input), { abortSignal }));
      if (!out.MessageId) throw new ProviderError('End User Messaging SMS answered without a MessageId', { reason: 'server' });
      const { segments, encoding } = smsSegments(input.MessageBody ?? '');
      return { providerMessageId: out.MessageId, status: 'queued', details: { segments, encoding, messageType: input.MessageType } };
    },
    webhooks: snsWebhooks(options.sns, deps, parseSmsNotification),
    async close() {
      client.close();
    },
  };
}

export const awsSmsPlugin: PluginDefinition<AwsSmsOptions> = {
  name: 'aws-sms',
  optionsSchema: awsOptionsSchema('plugins/aws-sms.schema.json'),
  channels: () => ['sms'],
  sender: (options) => options.originationIdentity,
  create: createAwsSmsProvider,
};
