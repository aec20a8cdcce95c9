import type { MessageRequest, MessagesApi } from 'bandwidth-sdk';
import {
  ProviderError,
  parseDuration,
  smsSegments,
  timedOut,
  withDeadline,
  type OutboundMessage,
  type PluginDeps,
  type SendReceipt,
} from '../../src/plugin-api.js';
import type { BandwidthClient } from './client.js';
import { RECOMMENDED_TOTAL_BYTES, prepareMedia } from './media.js';
import type { BandwidthOptions } from './options.js';

export const MAX_RECIPIENTS = 10;
export const MAX_TEXT_LENGTH = 2048;
const E164 = /^\+[1-9][0-9]{1,14}$/;

const invalid = (message: string, providerCode = 'request-invalid') => new ProviderError(message, { reason: 'client', providerCode });

/**
 * `to` is one E.164 number, or a comma-separated list of up to 10 for a group message (one
 * Bandwidth message, one attempt, every participant sees the others).
 *
 * @example parseRecipients('+15550001111, +15550002222') // → ['+15550001111', '+15550002222']
 */
export function parseRecipients(to: string): string[] {
  const recipients = [...new Set(to.split(',').map((r) => r.trim()).filter((r) => r !== ''))];
  if (recipients.length === 0) throw invalid('no recipient');
  const bad = recipients.find((r) => !E164.test(r));
  if (bad !== undefined) throw invalid(`recipient ${bad} is not an E.164 number`);
  if (recipients.length > MAX_RECIPIENTS) {
    throw invalid(`a Bandwidth group message takes at most ${MAX_RECIPIENTS} recipients, got ${recipients.length}`, 'forbidden-too-many-recipients');
  }
  return recipients;
}

/** Sends one attempt: optional media uploads, then one `createMessage`, all inside the send timeout. */
export function createSend(options: BandwidthOptions, deps: PluginDeps, client: BandwidthClient) {
  const timeoutMs = parseDuration(options.timeout) ?? 10_000;
  const expirationMs = options.expiration === undefined ? undefined : parseDuration(options.expiration);
  const mediaBaseUrl = `${options.baseUrl.replace(/\/+$/, '')}/users/${encodeURIComponent(options.accountId)}/media`;

  return async function send(message: OutboundMessage, { signal }: { signal: AbortSignal }): Promise<SendReceipt> {
    const channel = message.channel;
    if ((channel !== 'sms' && channel !== 'mms') || !options.channels.includes(channel)) {
      throw invalid(`instance ${deps.instance} does not send on channel ${channel}`, 'channel-not-enabled');
    }
    const recipients = parseRecipients(message.to);
    const text = message.content.text ?? '';
    if (text.length > MAX_TEXT_LENGTH) throw invalid(`text is ${text.length} characters; Bandwidth accepts at most ${MAX_TEXT_LENGTH}`);
    // An SMS step of a route whose content has media sends the text alone; the receipt says so.
    const givenMedia = message.content.media ?? [];
    const media = channel === 'mms' ? prepareMedia(givenMedia, { mediaBaseUrl, idPrefix: message.attemptId }) : undefined;
    if (text === '' && (media?.urls.length ?? 0) === 0) {
      throw invalid(message.content.template ? 'Bandwidth has no message templates; give text' : `nothing to send: no text${channel === 'mms' ? ' and no media' : ''}`);
    }
    if (media && media.knownBytes > RECOMMENDED_TOTAL_BYTES) {
      deps.logger.warn({ instance: deps.instance, attemptId: message.attemptId, bytes: media.knownBytes }, 'MMS media above the 500 KB Bandwidth recommends for deliverability');
    }

    const request: MessageRequest = {
      applicationId: options.applicationId,
      // The SDK types `to` as a Set and serializes Sets as arrays; an array says the same on the wire.
      to: recipients as unknown as Set<string>,
      from: message.from ?? options.from,
      ...(text === '' ? {} : { text }),
      ...(media && media.urls.length > 0 ? { media: media.urls } : {}),
      tag: message.attemptId,
      ...(options.priority === undefined ? {} : { priority: options.priority }),
      ...(expirationMs === undefined ? {} : { expiration: new Date(deps.clock.now() + expirationMs).toISOString() }),
    };

    let deadline: AbortSignal | undefined;
    let operation = 'token request';
    let response: Awaited<ReturnType<MessagesApi['createMessage']>>;
    try {
      const api = await client.apis();
      response = await withDeadline(timeoutMs, async (requestSignal) => {
        deadline = requestSignal;
        if (client.tokens) await client.tokens.getToken(requestSignal);
        operation = 'media upload';
        for (const upload of media?.uploads ?? []) {
          await deps.metrics.time('media_upload', () =>
            // The SDK types the body as File; a Buffer is what axios sends as raw bytes.
            api.media.uploadMedia(options.accountId, upload.mediaId, upload.bytes as unknown as File, upload.contentType, undefined, { signal: requestSignal }),
          );
        }
        operation = 'message send';
        return api.messages.createMessage(options.accountId, request, { signal: requestSignal });
      }, signal);
    } catch (err) {
      throw client.toProviderError(err, operation, deadline !== undefined && timedOut(deadline));
    }

    const providerMessageId = (response.data as { id?: unknown } | undefined)?.id;
    if (typeof providerMessageId !== 'string' || providerMessageId === '') {
      throw new ProviderError(`Bandwidth answered ${response.status} without a message id`, { reason: 'server', status: response.status });
    }
    const details: Record<string, unknown> = {};
    if (recipients.length > 1) Object.assign(details, { group: true, recipients: recipients.length });
    if (channel === 'sms') {
      const { encoding, segments, characters } = smsSegments(text);
      Object.assign(details, { encoding, segments, characters });
      if (givenMedia.length > 0) details.mediaDropped = givenMedia.length;
    } else {
      Object.assign(details, { attachments: media?.urls.length ?? 0, uploaded: media?.uploads.length ?? 0 });
    }
    if (typeof response.data.segmentCount === 'number') details.bandwidthSegments = response.data.segmentCount;
    if (request.expiration !== undefined) details.expiration = request.expiration;
    return { providerMessageId, status: 'queued', details };
  };
}
