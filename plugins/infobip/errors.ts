import { ProviderError, classifyStatus, isRetryableReason, retryAfterMs, type HttpResponse } from '../../src/plugin-api.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * An Infobip error body in one line: the v3 shape (`errorCode`, `description`, `violations[]`) or
 * the older `requestError.serviceException` (`messageId`, `text`) of the WhatsApp and v2 APIs.
 *
 * @example describeInfobipError('{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}')
 *   // → { code: 'UNAUTHORIZED', message: 'Invalid login details' }
 */
export function describeInfobipError(body: string): { code?: string; message?: string } {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return { message: text(body)?.slice(0, 200) };
  }
  if (!isObject(data)) return {};
  const service = isObject(data.requestError) && isObject(data.requestError.serviceException) ? data.requestError.serviceException : undefined;
  if (service) return { code: text(service.messageId), message: text(service.text)?.slice(0, 500) };
  const parts = [text(data.description)].filter((p) => p !== undefined);
  if (Array.isArray(data.violations)) {
    for (const v of data.violations) if (isObject(v)) parts.push(`${text(v.property) ?? '?'}: ${text(v.violation) ?? 'invalid'}`);
  }
  return { code: text(data.errorCode), message: parts.join('; ').slice(0, 500) || undefined };
}

/** A non-2xx send answer as a classified ProviderError (429/5xx retryable with Retry-After; 401/403 auth; other 4xx permanent). */
export function sendError(res: HttpResponse, now: number): ProviderError {
  const reason = classifyStatus(res.status) ?? 'server';
  const { code, message } = describeInfobipError(res.text);
  return new ProviderError(`Infobip answered ${res.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`, {
    reason,
    status: res.status,
    providerCode: code,
    retryAfterMs: isRetryableReason(reason) ? retryAfterMs(res.headers.get('retry-after') ?? undefined, now) : undefined,
  });
}
