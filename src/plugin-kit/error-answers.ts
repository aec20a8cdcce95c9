import { ProviderError, classifyStatus, isRetryableReason } from '../errors.js';
import type { HttpResponse } from './http-client.js';
import { retryAfterMs } from './retry-after.js';
import type { WebhookRequest } from '../plugin-api.js';

/** A provider's error body in one line: its own code and a message for the attempt. */
export interface ErrorSummary {
  code?: string;
  message?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads an error body with the provider's own `describe` when it is a JSON object; plain text
 * becomes the message (cut to 200 characters), anything else says nothing.
 */
export function summarizeErrorBody(body: string, describe: (data: Record<string, unknown>) => ErrorSummary): ErrorSummary {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    const text = body.trim();
    return text === '' ? {} : { message: text.slice(0, 200) };
  }
  return isObject(data) ? describe(data) : {};
}

/**
 * A non-2xx answer as a classified ProviderError: 429/5xx retryable with `Retry-After`, 401/403
 * `auth`, other 4xx permanent; `label` names the provider in the message.
 *
 * @example throw answerError('Infobip', res, clock.now(), describeInfobip);
 */
export function answerError(label: string, res: HttpResponse, now: number, describe: (data: Record<string, unknown>) => ErrorSummary): ProviderError {
  const reason = classifyStatus(res.status) ?? 'server';
  const { code, message } = summarizeErrorBody(res.text, describe);
  return new ProviderError(`${label} answered ${res.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`, {
    reason,
    status: res.status,
    providerCode: code,
    retryAfterMs: isRetryableReason(reason) ? retryAfterMs(res.headers.get('retry-after') ?? undefined, now) : undefined,
  });
}

/** A webhook's JSON body as received: parsed from the raw bytes whatever its content type said; undefined when it is not JSON. */
export function jsonBodyOf(req: Pick<WebhookRequest, 'rawBody' | 'body'>): unknown {
  if (req.rawBody.trim() === '') return req.body;
  try {
    return JSON.parse(req.rawBody) as unknown;
  } catch {
    return undefined;
  }
}
