import { ProviderError, parseDuration, smsSegments, timedOut, withDeadline, type OutboundMessage, type PluginDeps, type SendReceipt } from '../../src/plugin-api.js';
import { notificationOf } from './content.js';
import type { AcsClient } from './client.js';
import { answerError, thrownError, type UnexpectedAnswer } from './errors.js';
import type { AcsOptions } from './options.js';

/**
 * Sends one attempt: `POST /messages/notifications:send` through the channel's registration,
 * bounded by `timeout`. The receipt's id is ACS's `messageId`, which Event Grid reports under.
 */
export function createSend(options: AcsOptions, deps: PluginDeps, getClient: () => Promise<AcsClient>) {
  const timeoutMs = parseDuration(options.timeout) ?? 10_000;

  return async function send(message: OutboundMessage, { signal }: { signal: AbortSignal }): Promise<SendReceipt> {
    const channel = message.channel;
    const registration = channel === 'whatsapp' || channel === 'sms' ? options.channelRegistrations[channel] : undefined;
    if (registration === undefined) {
      throw new ProviderError(`instance ${deps.instance} has no channel registration for ${channel}`, { reason: 'client', providerCode: 'channel-not-enabled' });
    }
    const body = notificationOf(message, registration, options.defaultLanguage);
    let response;
    let unexpected: boolean;
    let deadline: AbortSignal | undefined;
    try {
      // The SDK loads on the first send; the timeout bounds the request, not that.
      const { client, isUnexpected } = await getClient();
      response = await withDeadline(timeoutMs, async (bounded) => {
        deadline = bounded;
        return await client.path('/messages/notifications:send').post({ contentType: 'application/json', body: body as never, abortSignal: bounded });
      }, signal);
      unexpected = isUnexpected(response);
    } catch (err) {
      throw thrownError(err, deadline !== undefined && timedOut(deadline));
    }
    if (unexpected) throw answerError(response as unknown as UnexpectedAnswer, deps.clock.now());
    const receipt = (response.body as { receipts?: { messageId?: unknown }[] } | undefined)?.receipts?.[0];
    if (typeof receipt?.messageId !== 'string' || receipt.messageId === '') {
      throw new ProviderError('ACS answered 202 without a receipt messageId', { reason: 'server', status: 202 });
    }
    const details: Record<string, unknown> = { kind: body.kind, channelRegistrationId: registration };
    if (channel === 'sms') Object.assign(details, smsSegments(message.content.text ?? ''));
    if ((message.content.media?.length ?? 0) > 1 && body.kind !== 'template') details.mediaDropped = (message.content.media?.length ?? 1) - 1;
    return { providerMessageId: receipt.messageId, status: 'queued', details };
  };
}
