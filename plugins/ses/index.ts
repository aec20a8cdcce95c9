import { awsOptionsSchema, createAwsProvider, requireId, type PluginDefinition, type PluginDeps, type Provider } from '../../src/plugin-api.js';
import { SES_ERROR_RULES } from './errors.js';
import { parseSesEvent } from './events.js';
import type { SesOptions } from './options.js';
import { buildSendEmail } from './send.js';

export type { SesOptions } from './options.js';
export { parseSesEvent } from './events.js';
export { ATTEMPT_TAG, MESSAGE_TAG } from './send.js';

/**
 * An Amazon SES (v2 API) email provider: one `SendEmail` per attempt (simple content or a stored
 * template, the attempt id as an EmailTag), and its configuration set's events through SNS at
 * `POST /webhooks/<instance>/sns` when `sns` is configured.
 *
 * @example
 *   const ses = createSesProvider({ region: 'eu-west-1', from: 'no-reply@example.com', timeout: '10s' }, deps);
 *   await ses.send({ attemptId, messageId, channel: 'email', to: 'ann@example.com', content: { subject: 'Hi', text: 'Hello' } }, { signal });
 *   // → { providerMessageId: '0100018c…', status: 'queued' }
 */
export function createSesProvider(options: SesOptions, deps: PluginDeps): Provider {
  return createAwsProvider({
    service: 'SES', options, deps, rules: SES_ERROR_RULES, parse: parseSesEvent,
    client: async (config) => new (await import('@aws-sdk/client-sesv2')).SESv2Client(config),
    async send(ses, message, abortSignal) {
      const input = buildSendEmail(message, options);
      const { SendEmailCommand } = await import('@aws-sdk/client-sesv2');
      const out = await ses.send(new SendEmailCommand(input), { abortSignal });
      const template = input.Content?.Template?.TemplateName ?? input.Content?.Template?.TemplateArn;
      return { providerMessageId: requireId('SES', out.MessageId), status: 'queued', ...(template !== undefined ? { details: { template } } : {}) };
    },
  });
}

export const sesPlugin: PluginDefinition<SesOptions> = {
  name: 'ses',
  optionsSchema: awsOptionsSchema('plugins/ses.schema.json'),
  channels: () => ['email'],
  // Suppression and `senders` compare addresses: "Shop <no-reply@example.com>" sends from no-reply@example.com.
  sender: (options) => /<([^>]+)>\s*$/.exec(options.from)?.[1] ?? options.from,
  create: createSesProvider,
};
