import { answerError, type ErrorSummary, type HttpResponse, type ProviderError } from '../../src/plugin-api.js';
import { isObject } from './json.js';

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * An Infobip error object in one line: the v3 shape (`errorCode`, `description`, `violations[]`) or
 * the older `requestError.serviceException` (`messageId`, `text`) of the WhatsApp and v2 APIs.
 *
 * @example describeInfobipError({ requestError: { serviceException: { messageId: 'UNAUTHORIZED', text: 'Invalid login details' } } })
 *   // → { code: 'UNAUTHORIZED', message: 'Invalid login details' }
 */
export function describeInfobipError(data: Record<string, unknown>): ErrorSummary {
  const service = isObject(data.requestError) && isObject(data.requestError.serviceException) ? data.requestError.serviceException : undefined;
  if (service) return { code: text(service.messageId), message: text(service.text)?.slice(0, 500) };
  const parts = [text(data.description)].filter((p) => p !== undefined);
  if (Array.isArray(data.violations)) {
    for (const v of data.violations) if (isObject(v)) parts.push(`${text(v.property) ?? '?'}: ${text(v.violation) ?? 'invalid'}`);
  }
  return { code: text(data.errorCode), message: parts.join('; ').slice(0, 500) || undefined };
}

/** A non-2xx send answer as a classified ProviderError. */
export const sendError = (res: HttpResponse, now: number): ProviderError => answerError('Infobip', res, now, describeInfobipError);
