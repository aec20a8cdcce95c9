import { ProviderError, classifyStatus, isRetryableReason, retryAfterMs, type HttpResponse } from '../../src/plugin-api.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * Avaya's error body in one line: RFC 7807 problem details (`title`, `detail`, `violations[]`),
 * or the `{error, error_description}` / `{message}` shapes of its gateway, or plain text.
 *
 * @example describeProblem('{"title":"Bad Request","detail":"invalid body","violations":[{"field":"headers.to","message":"must not be empty"}]}')
 *   // → { code: 'Bad Request', message: 'Bad Request: invalid body; headers.to: must not be empty' }
 */
export function describeProblem(body: string): { code?: string; message?: string } {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return { message: text(body)?.slice(0, 200) };
  }
  if (!isObject(data)) return {};
  const title = text(data.title);
  const details = [text(data.detail) ?? text(data.error_description) ?? text(data.message)].filter((p) => p !== undefined);
  if (Array.isArray(data.violations)) {
    for (const v of data.violations) if (isObject(v)) details.push(`${text(v.field) ?? '?'}: ${text(v.message) ?? text(v.code) ?? 'invalid'}`);
  }
  const joined = details.join('; ');
  const message = title && joined ? `${title}: ${joined}` : title ?? (joined || undefined);
  return { code: title ?? text(data.error) ?? text(data.code), message: message?.slice(0, 500) };
}

/** A non-2xx Send Message answer as a classified ProviderError (429/5xx retryable with Retry-After; 401/403 auth; other 4xx permanent). */
export function sendError(res: HttpResponse, now: number): ProviderError {
  const reason = classifyStatus(res.status) ?? 'server';
  const { code, message } = describeProblem(res.text);
  return new ProviderError(`Avaya Send Message answered ${res.status}${message ? `: ${message}` : ''}`, {
    reason,
    status: res.status,
    providerCode: code,
    retryAfterMs: isRetryableReason(reason) ? retryAfterMs(res.headers.get('retry-after') ?? undefined, now) : undefined,
  });
}
