import { ProviderError, parseDuration, smsSegments, type OutboundMessage, type PluginDeps, type SendReceipt } from '../../src/plugin-api.js';
import { sendError } from './errors.js';
import { isObject } from './json.js';
import type { InfobipOptions } from './options.js';
import { invalid, smsRequest, whatsappRequest, type InfobipRequest } from './requests.js';
import { createSmsBatcher, type BatchAnswer } from './sms-batch.js';
import { mapInfobipStatus, type InfobipStatus } from './status-map.js';

/** The one message of an answer: the object itself (`single`) or `messages[0]` (`bulk`). */
function answered(request: InfobipRequest, text: string): Record<string, unknown> | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(data)) return undefined;
  if (request.answer === 'single') return data;
  return Array.isArray(data.messages) && isObject(data.messages[0]) ? data.messages[0] : undefined;
}

/**
 * Sends one attempt with `Authorization: App <apiKey>`; SMS made in the same turn share a request
 * (`batch`, sms-batch.ts). The attempt id goes as Infobip's `messageId`, so the id Infobip answers
 * with — and reports under — is the attempt id.
 */
export function createSend(options: InfobipOptions, deps: PluginDeps, notifyUrl: string | undefined) {
  const timeoutMs = parseDuration(options.timeout) ?? 10_000;
  const base = options.baseUrl.replace(/\/+$/, '');
  const post = (path: string, body: unknown, signal: AbortSignal) => deps.http.request(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `App ${options.apiKey}`, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
    signal,
    timeoutMs,
  });
  const batched = options.batch > 1 ? createSmsBatcher((messages, signal) => post('/sms/3/messages', { messages }, signal), options.batch) : undefined;

  async function deliver(request: InfobipRequest, attemptId: string, signal: AbortSignal): Promise<BatchAnswer> {
    if (batched && request.path === '/sms/3/messages') return batched((request.body.messages as Record<string, unknown>[])[0], attemptId, signal);
    const res = await post(request.path, request.body, signal);
    return { res, one: res.status >= 200 && res.status < 300 ? answered(request, res.text) : undefined };
  }

  return async function send(message: OutboundMessage, { signal }: { signal: AbortSignal }): Promise<SendReceipt> {
    const channel = message.channel;
    if ((channel !== 'sms' && channel !== 'whatsapp') || !options.channels.includes(channel)) {
      throw invalid(`instance ${deps.instance} does not send on channel ${channel}`, 'channel-not-enabled');
    }
    const request = channel === 'sms' ? smsRequest(options, message, notifyUrl) : whatsappRequest(options, message, notifyUrl);
    const { res, one } = await deliver(request, message.attemptId, signal);
    if (res.status < 200 || res.status >= 300) throw sendError(res, deps.clock.now());
    const providerMessageId = typeof one?.messageId === 'string' && one.messageId !== '' ? one.messageId : undefined;
    if (providerMessageId === undefined) {
      // Accepted, but without the id reports will name: keep the attempt id we asked for.
      deps.logger.warn({ instance: deps.instance, status: res.status }, 'Infobip accepted a message without a messageId in its answer');
    }
    const status = isObject(one?.status) ? (one.status as InfobipStatus) : {};
    const mapped = mapInfobipStatus(status);
    if (mapped === 'failed') {
      throw new ProviderError(`Infobip rejected the message: ${status.name ?? 'REJECTED'}${status.description ? ` (${status.description})` : ''}`, { reason: 'client', status: res.status, providerCode: status.name });
    }
    const details: Record<string, unknown> = { infobipStatus: status.name, path: request.path };
    if (channel === 'sms') Object.assign(details, smsSegments(message.content.text ?? ''));
    if (typeof one?.messageCount === 'number') details.messageCount = one.messageCount;
    return { providerMessageId: providerMessageId ?? message.attemptId, status: mapped === undefined || mapped === 'undelivered' ? 'queued' : mapped, details };
  };
}
