import { ProviderError, classifyStatus, retryAfterMs, type HttpResponse, type ProviderErrorReason, type ProviderSignal } from '../../src/plugin-api.js';
import { isObject } from './json.js';

/**
 * Graph / Cloud API error codes that decide more than their HTTP status does. Meta asks clients to
 * branch on `code`, not on the status (the same 400 carries a rate limit and a bad parameter).
 * Codes not listed fall back to the shared status classifier.
 */
const CODES: Readonly<Record<string, { reason: ProviderErrorReason; text: string }>> = Object.freeze({
  '0': { reason: 'auth', text: 'authentication failed' },
  '190': { reason: 'auth', text: 'the access token expired or is invalid: issue a new system-user token and reload' },
  '10': { reason: 'auth', text: 'the app lacks a permission (whatsapp_business_messaging)' },
  '200': { reason: 'auth', text: 'the token has no access to this phone number id' },
  '4': { reason: 'rate_limited', text: 'too many API calls for this app' },
  '80007': { reason: 'rate_limited', text: 'WhatsApp Business Account rate limit' },
  '130429': { reason: 'rate_limited', text: 'throughput limit of this phone number reached' },
  '131056': { reason: 'rate_limited', text: 'too many messages to this recipient in a short time (pair rate limit)' },
  '131048': { reason: 'client', text: 'spam rate limit: sending restricted for this number' },
  '131047': { reason: 'client', text: 'outside the WhatsApp 24-hour customer service window: only an approved template can be sent' },
  '131026': { reason: 'client', text: 'message undeliverable (not a WhatsApp user, old app, or terms not accepted)' },
  '131049': { reason: 'client', text: 'Meta chose not to deliver (per-user marketing limit)' },
  '131050': { reason: 'client', text: 'the user stopped marketing messages from this business' },
  '131051': { reason: 'client', text: 'unsupported message type' },
  '131052': { reason: 'client', text: 'media download failed' },
  '131053': { reason: 'client', text: 'media upload failed (type or size not supported)' },
  '132000': { reason: 'client', text: 'template parameter count does not match the approved template' },
  '132001': { reason: 'client', text: 'template does not exist in this language or is not approved' },
  '1': { reason: 'server', text: 'unknown Graph API error' },
  '2': { reason: 'server', text: 'temporary Graph API problem' },
  '131000': { reason: 'server', text: 'something went wrong at WhatsApp' },
  '131016': { reason: 'server', text: 'WhatsApp service temporarily unavailable' },
  '133004': { reason: 'server', text: 'WhatsApp server temporarily unavailable' },
});

/** The Cloud API code for free-form content outside the customer-service window. */
export const OUTSIDE_WINDOW_CODE = '131047';

/** What a code tells the consent policy: 131047 means the pair's window is closed, whatever we recorded. */
export function signalOf(code: string | undefined): { signal?: ProviderSignal } {
  return code === OUTSIDE_WINDOW_CODE ? { signal: 'outside_window' } : {};
}

/** A known code's words, for attempts and status events; `undefined` for codes not in the table. */
export function describeGraphError(code: string): string | undefined {
  return Object.hasOwn(CODES, code) ? CODES[code].text : undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** `{error: {message, code, error_data: {details}, fbtrace_id}}` → its parts; anything else → the first 200 characters. */
export function parseGraphError(text: string): { code?: string; message?: string; details?: string; trace?: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { message: str(text)?.slice(0, 200) };
  }
  const error = isObject(data) && isObject(data.error) ? data.error : undefined;
  if (!error) return {};
  const code = typeof error.code === 'number' || typeof error.code === 'string' ? String(error.code) : undefined;
  const details = isObject(error.error_data) ? str(error.error_data.details) : undefined;
  return { code, message: str(error.message)?.slice(0, 300), details: details?.slice(0, 300), trace: str(error.fbtrace_id) };
}

/**
 * A non-2xx Graph answer as one classified ProviderError: by the Cloud API code when it is known,
 * else by the HTTP status; 131047 carries the `outside_window` signal.
 */
export function graphError(res: HttpResponse, now: number): ProviderError {
  const { code, message, details, trace } = parseGraphError(res.text);
  const known = code !== undefined && Object.hasOwn(CODES, code) ? CODES[code] : undefined;
  const reason = known?.reason ?? classifyStatus(res.status) ?? 'server';
  const said = [message, details].filter((p) => p !== undefined).join(': ');
  const text = `WhatsApp Cloud API answered ${res.status}${code ? ` (error ${code})` : ''}${said ? `: ${said}` : ''}`;
  return new ProviderError(`${known ? `${text} — ${known.text}` : text}${trace ? ` [fbtrace_id ${trace}]` : ''}`, {
    reason,
    status: res.status,
    providerCode: code,
    retryAfterMs: reason === 'rate_limited' ? retryAfterMs(res.headers.get('retry-after') ?? undefined, now) : undefined,
    ...signalOf(code),
  });
}
