import { ProviderError, classifyStatus, type ProviderErrorReason, type ProviderSignal } from '../../src/plugin-api.js';

/**
 * Human descriptions for the Twilio error codes an operator meets most, kept on attempts as
 * `errorReason` so a failure reads as something to act on. Unknown codes fall back to the code.
 */
const DESCRIPTIONS: Readonly<Record<string, string>> = Object.freeze({
  '20003': 'authentication failed: wrong account SID, auth token or API key',
  '20429': 'too many requests',
  '21211': "invalid 'To' phone number",
  '21408': 'sending to this region is not enabled on the account',
  '21608': "'To' number is not verified (trial account)",
  '21610': 'recipient has opted out (replied STOP); blocked until they reply START',
  '21614': "'To' number is not a valid mobile number",
  '21635': "'To' number is a landline",
  '30001': 'queue overflow: too many messages queued for the sender',
  '30002': 'account suspended',
  '30003': 'unreachable destination handset (off, out of coverage or unable to receive)',
  '30004': 'message blocked by the recipient or the carrier',
  '30005': 'unknown destination handset (number does not exist or is no longer active)',
  '30006': 'landline or unreachable carrier',
  '30007': 'message filtered by the carrier (spam or content filtering)',
  '30008': 'unknown error from the carrier',
  '63016': 'outside the WhatsApp 24-hour customer service window: only an approved template can be sent',
});

/** The Twilio error code that means "this recipient opted out"; suppression keys on it. */
export const OPTED_OUT_CODE = '21610';

/**
 * What a Twilio error code tells the core beyond the attempt: the recipient texted STOP to this
 * sender at Twilio (21610), or Meta's 24-hour window is closed for free-form WhatsApp (63016).
 */
export function signalOf(code: string | undefined): { signal?: ProviderSignal } {
  if (code === OPTED_OUT_CODE) return { signal: 'opted_out' };
  if (code === OUTSIDE_WINDOW_CODE) return { signal: 'outside_window' };
  return {};
}

/** The Twilio error code for a free-form WhatsApp message outside the customer-service window. */
export const OUTSIDE_WINDOW_CODE = '63016';

export function describeTwilioError(code: string): string | undefined {
  return Object.hasOwn(DESCRIPTIONS, code) ? DESCRIPTIONS[code] : undefined;
}

interface TwilioApiError {
  status: number;
  code?: number | string;
  message?: string;
}

const isApiError = (err: unknown): err is TwilioApiError =>
  typeof err === 'object' && err !== null && typeof (err as TwilioApiError).status === 'number' && !('isAxiosError' in err);

const AXIOS_TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT']);

export interface FailureContext {
  /** The configured timeout ran out. */
  timedOut: boolean;
  /** The caller's signal aborted the call (shutdown, cancel). */
  aborted: boolean;
  timeoutMs: number;
}

/**
 * Turns whatever the SDK threw into one classified ProviderError. HTTP answers go through the
 * shared classifier (429/5xx retryable, other 4xx permanent) with two Twilio codes that say more
 * than their status; no answer at all is a timeout or a (retryable) server failure.
 */
export function toProviderError(err: unknown, ctx: FailureContext): ProviderError {
  if (err instanceof ProviderError) return err;

  if (isApiError(err)) {
    const code = err.code === undefined || err.code === null ? undefined : String(err.code);
    let reason: ProviderErrorReason = classifyStatus(err.status) ?? 'server';
    if (code === '20003') reason = 'auth';
    if (code === '20429') reason = 'rate_limited';
    const description = code ? describeTwilioError(code) : undefined;
    const text = `Twilio answered ${err.status}${code ? ` (error ${code})` : ''}: ${err.message ?? 'no message'}`;
    return new ProviderError(description ? `${text} — ${description}` : text, {
      reason, status: err.status, providerCode: code, cause: err,
      ...signalOf(code),
    });
  }

  const axiosCode = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : undefined;
  if (ctx.timedOut || (axiosCode !== undefined && AXIOS_TIMEOUT_CODES.has(axiosCode))) {
    return new ProviderError(`Twilio did not answer within ${ctx.timeoutMs}ms; the message may or may not have been sent`, { reason: 'timeout', cause: err });
  }
  if (ctx.aborted) {
    return new ProviderError('the send to Twilio was aborted before an answer came; the message may or may not have been sent', { reason: 'timeout', cause: err });
  }
  if (err instanceof SyntaxError) {
    return new ProviderError('Twilio answered 2xx with a body that is not JSON', { reason: 'server', cause: err });
  }
  if (axiosCode !== undefined) {
    return new ProviderError(`request to Twilio failed: ${axiosCode}`, { reason: 'server', cause: err });
  }
  return new ProviderError(`Twilio SDK refused the request: ${(err as Error)?.message ?? String(err)}`, { reason: 'client', cause: err });
}
