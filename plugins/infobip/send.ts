import { ProviderError, parseDuration, smsSegments, type OutboundMessage, type PluginDeps, type SendReceipt } from '../../src/plugin-api.js';
import { sendError } from './errors.js';
import type { InfobipOptions } from './options.js';
import { invalid, smsRequest, whatsappRequest, type InfobipRequest } from './requests.js';
import { mapInfobipStatus, type InfobipStatus } from './status-map.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

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
 * Sends one attempt with `Authorization: App <apiKey>`. The attempt id goes as Infobip's
 * `messageId`, so the id Infobip answers with — and reports under — is the attempt id.
 */
export function createSend(options: InfobipOptions, deps: PluginDeps, notifyUrl: string | undefined) {
  const timeoutMs = parseDuration(options.timeout) ?? 10_000;
  const base = options.baseUrl.replace(/\/+$/, '');

  return async function send(message: OutboundMessage, { signal }: { signal: AbortSignal }): Promise<SendReceipt> {
    const channel = message.channel;
    if ((channel !== 'sms' && channel !== 'whatsapp') || !options.channels.includes(channel)) {
      throw invalid(`instance ${deps.instance} does not send on channel ${channel}`, 'channel-not-enabled');
    }
    const request = channel === 'sms' ? smsRequest(options, message, notifyUrl) : whatsappRequest(options, message, notifyUrl);
    const res = await deps.http.request(`${base}${request.path}`, {
      method: 'POST',
      headers: { authorization: `App ${options.apiKey}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(request.body),
      signal,
      timeoutMs,
    });
    if (res.status < 200 || res.status >= 300) throw sendError(res, deps.clock.now());
    const one = answered(request, res.text);
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
