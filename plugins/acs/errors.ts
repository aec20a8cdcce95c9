import { ProviderError, classifyStatus, isRetryableReason, retryAfterMs } from '../../src/plugin-api.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** What @azure/identity throws when it could not get a token. */
const ENTRA_ERRORS = new Set(['AuthenticationError', 'AuthenticationRequiredError', 'CredentialUnavailableError', 'AggregateAuthenticationError']);

/** OAuth errors (RFC 6749 §5.2, §4.1.2.1) that say the token endpoint, not the credentials, failed. */
const PASSING_OAUTH_ERRORS = new Set(['temporarily_unavailable', 'server_error']);

/** What the REST client answered when it was not the expected 202 (it does not throw for those). */
export interface UnexpectedAnswer {
  status: string | number;
  headers: Record<string, string | undefined>;
  body: unknown;
}

/**
 * A non-202 answer as a classified ProviderError, with the Azure Core error envelope's
 * `error.code` and `error.message`: 429/5xx retryable with `Retry-After`, 401/403 auth, other 4xx
 * permanent.
 */
export function answerError(answer: UnexpectedAnswer, now: number): ProviderError {
  const status = Number(answer.status);
  const reason = classifyStatus(status) ?? 'server';
  const error = isObject(answer.body) && isObject(answer.body.error) ? answer.body.error : undefined;
  const code = text(error?.code);
  const message = text(error?.message)?.slice(0, 500);
  return new ProviderError(`ACS answered ${status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`, {
    reason,
    status,
    providerCode: code,
    retryAfterMs: isRetryableReason(reason) ? retryAfterMs(answer.headers['retry-after'], now) : undefined,
  });
}

/**
 * What the SDK threw (no answer came): the send deadline, a token the credential could not get,
 * or the network. Token failures keep their own status: a 5xx at the token endpoint is retryable,
 * refused credentials are `auth`. The error text never includes the request, which carries the
 * signature or token.
 */
export function thrownError(err: unknown, timedOut: boolean): ProviderError {
  if (err instanceof ProviderError) return err;
  if (timedOut) return new ProviderError('ACS did not answer in time; the message may or may not have been sent', { reason: 'timeout' });
  const e = (isObject(err) ? err : {}) as { name?: string; statusCode?: number; code?: string; message?: string };
  if (e.name === 'AbortError') return new ProviderError('the send to ACS was aborted before an answer came', { reason: 'timeout' });
  if (e.name !== undefined && ENTRA_ERRORS.has(e.name)) {
    const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
    // MSAL puts the OAuth error code first in the message and often drops the HTTP status.
    const oauthCode = /^([a-z_]+):/.exec(e.message ?? '')?.[1];
    const passing = (status !== undefined && status >= 500) || (oauthCode !== undefined && PASSING_OAUTH_ERRORS.has(oauthCode));
    const reason = passing ? 'server' : 'auth';
    return new ProviderError(`Microsoft Entra token request failed${status ? ` (${status})` : ''}: ${text(e.message)?.split('\n')[0]?.slice(0, 300) ?? e.name}`, { reason, status });
  }
  return new ProviderError(`request to ACS failed: ${e.code ?? e.name ?? "no answer"}`, { reason: "server", cause: err });
}
