import { ProviderError } from '../../errors.js';
import { parseDuration } from '../../config/duration.js';
import type { OutboundMessage, PluginDeps, Provider, SendReceipt } from '../../plugin-api.js';
import { awsCall, lazyAwsClient } from './call.js';
import { awsClientConfig, type AwsClientConfig, type AwsConnectionOptions } from './client-config.js';
import type { AwsErrorRule } from './errors.js';
import { snsWebhooks, type SnsNotificationParser, type SnsOptions } from './sns.js';

/** What one AWS plugin adds to the shared skeleton: its client, its request, its notifications. */
export interface AwsProviderSpec<C extends { destroy(): void }> {
  /** `SES`, `End User Messaging SMS`… in error messages. */
  service: string;
  options: AwsConnectionOptions & { sns?: SnsOptions };
  deps: PluginDeps;
  rules: Readonly<Record<string, AwsErrorRule>>;
  /** Builds the SDK client (importing its package, which is loaded on the first send only). */
  client(config: AwsClientConfig): Promise<C>;
  /** One attempt: builds the request (a ProviderError for what the service would refuse) and sends it. */
  send(client: C, message: OutboundMessage, abortSignal: AbortSignal): Promise<SendReceipt>;
  /** Turns a verified SNS notification of this service into events. */
  parse: SnsNotificationParser;
}

/**
 * The provider every AWS plugin is: the SDK client configured from the shared options, each send
 * under the instance's timeout with failures classified, and the `sns` webhook when configured.
 *
 * @example
 *   createAwsProvider({ service: 'SES', options, deps, rules, parse: parseSesEvent,
 *     client: async (config) => new (await import('@aws-sdk/client-sesv2')).SESv2Client(config),
 *     send: async (ses, message, abortSignal) => … });
 */
export function createAwsProvider<C extends { destroy(): void }>(spec: AwsProviderSpec<C>): Provider {
  const timeoutMs = parseDuration(spec.options.timeout) ?? 10_000;
  const config = awsClientConfig(spec.options, timeoutMs);
  const client = lazyAwsClient(() => spec.client(config));
  return {
    async send(message, { signal }) {
      const sdk = await client.get();
      return awsCall({ service: spec.service, timeoutMs, signal, rules: spec.rules }, (abortSignal) => spec.send(sdk, message, abortSignal));
    },
    webhooks: snsWebhooks(spec.options.sns, spec.deps, spec.parse),
    async close() {
      client.close();
    },
  };
}

/** The provider's id from a 2xx answer; an answer without one is the service's fault (retryable). */
export function requireId(service: string, id: string | undefined): string {
  if (!id) throw new ProviderError(`${service} answered without a message id`, { reason: 'server' });
  return id;
}
