import {
  ProviderError,
  parseDuration,
  withDeadline,
  type Channel,
  type ContactCenterDelivery,
  type ContactCenterReceipt,
  type PluginDeps,
} from '../../src/plugin-api.js';
import { sendError } from './errors.js';
import { endpoint, type AvayaOptions } from './options.js';
import type { AvayaTokens } from './tokens.js';

/** Avaya's two channels: `text` is its SMS connector channel, `messaging` every other provider. */
export type AvayaChannel = 'text' | 'messaging';
export const avayaChannel = (channel: Channel): AvayaChannel => (channel === 'sms' || channel === 'mms' ? 'text' : 'messaging');

/** `body.text` limits of the AsyncMessage schema. */
export const MAX_TEXT: Readonly<Record<AvayaChannel, number>> = { text: 1024, messaging: 4096 };
// contextParameters: at most 10 entries of at most 256 characters each.
const MAX_CONTEXT_ENTRIES = 10;
const MAX_CONTEXT_VALUE = 256;

/** What goes into `body.text`: the customer's text, then each media URL on its own line (Avaya takes files only as uploaded attachments). */
function fullText(delivery: ContactCenterDelivery): string {
  return [delivery.text ?? '', ...(delivery.media ?? [])].filter((t) => t !== '').join('\n');
}

/** Splits on code points so no surrogate pair is cut. */
export function splitText(text: string, max: number): string[] {
  // No more UTF-16 units than the limit is no more code points either: the usual short text is not taken apart.
  if (text.length <= max) return [text];
  const chars = Array.from(text);
  const parts: string[] = [];
  for (let i = 0; i < chars.length; i += max) parts.push(chars.slice(i, i + max).join(''));
  return parts;
}

function contextParameters(delivery: ContactCenterDelivery): Record<string, string> {
  // Ours first, so a bridge's extra context cannot push them out of the ten Avaya keeps.
  const entries = [
    ['channel', delivery.channel],
    ['provider', delivery.provider],
    ['inboundId', delivery.inboundId],
    ...Object.entries(delivery.context ?? {}).filter(([k]) => !['channel', 'provider', 'inboundId'].includes(k)),
  ];
  return Object.fromEntries(entries.slice(0, MAX_CONTEXT_ENTRIES).map(([k, v]) => [k, String(v).slice(0, MAX_CONTEXT_VALUE)]));
}

/**
 * The sample connector's Send Message body, one per part: `connectorId`, `channel`, `headers {from
 * (customer), to [business], destination}`, `body {text}`, `contextParameters`, `providerMetaData
 * {messageId, messageTimestamp}`.
 */
export function sendBodies(options: AvayaOptions, delivery: ContactCenterDelivery): Record<string, unknown>[] {
  const channel = avayaChannel(delivery.channel);
  const text = fullText(delivery);
  if (text === '') throw new ProviderError('nothing to deliver: the customer message has no text and no media', { reason: 'client', providerCode: 'empty-message' });
  const messageId = delivery.providerMessageId ?? delivery.inboundId;
  const parts = splitText(text, MAX_TEXT[channel]);
  return parts.map((part, i) => ({
    connectorId: options.connectorId,
    channel,
    headers: { from: delivery.from, to: [delivery.to], destination: options.destinations?.[delivery.channel] ?? delivery.to },
    body: { text: part },
    contextParameters: contextParameters(delivery),
    // A longer message goes as consecutive parts; each needs its own id.
    providerMetaData: { messageId: i === 0 ? messageId : `${messageId}-part${i + 1}`, messageTimestamp: delivery.receivedAt },
  }));
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Delivers one customer message: a token, then Send Message (with one retry on a fresh token if
 * the API answers 401 — Avaya may revoke a token before its `exp`), all within `timeout`. A message
 * longer than Avaya's limit goes as consecutive parts; a retry of a delivery whose later part
 * failed sends the earlier parts again.
 */
export function createDeliver(options: AvayaOptions, deps: PluginDeps, tokens: AvayaTokens) {
  const timeoutMs = parseDuration(options.timeout) ?? 10_000;
  const url = endpoint(options, options.sendPath);

  // One deadline over the whole delivery (token, every part), besides each request's own.
  return (delivery: ContactCenterDelivery, { signal }: { signal: AbortSignal }): Promise<ContactCenterReceipt> =>
    withDeadline(timeoutMs, (bounded) => deliverWithin(delivery, bounded), signal);

  async function deliverWithin(delivery: ContactCenterDelivery, bounded: AbortSignal): Promise<ContactCenterReceipt> {
    const bodies = sendBodies(options, delivery);
    const post = (body: Record<string, unknown>, token: string) =>
      deps.http.request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
        signal: bounded,
        timeoutMs,
      });

    let token = await tokens.get(bounded);
    const answers: Record<string, unknown>[] = [];
    for (const body of bodies) {
      let res = await post(body, token);
      if (res.status === 401) {
        token = await tokens.renew(token, bounded);
        res = await post(body, token);
      }
      if (res.status < 200 || res.status >= 300) throw sendError(res, deps.clock.now());
      try {
        answers.push(JSON.parse(res.text) as Record<string, unknown>);
      } catch {
        // Accepted all the same: failing now would make the caller send it twice.
        deps.logger.warn({ instance: deps.instance, status: res.status }, 'Avaya accepted a message with an answer that is not JSON');
        answers.push({});
      }
    }
    const conversationId = answers.map((a) => str(a?.conversationSessionId)).find((id) => id !== undefined);
    const providerMessageId = str(answers[0]?.messageId);
    const details: Record<string, unknown> = { avayaChannel: bodies[0].channel };
    if (bodies.length > 1) Object.assign(details, { parts: bodies.length, messageIds: answers.map((a) => str(a?.messageId) ?? null) });
    if ((delivery.media?.length ?? 0) > 0) details.mediaAsLinks = delivery.media?.length;
    return { ...(conversationId ? { conversationId } : {}), ...(providerMessageId ? { providerMessageId } : {}), details };
  }
}
