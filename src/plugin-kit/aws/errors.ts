import { ProviderError, classifyStatus, type ProviderErrorReason, type ProviderSignal } from '../../errors.js';

/** What an AWS SDK v3 service exception carries that classification needs. */
interface AwsServiceError {
  name: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  /** pinpoint-sms-voice-v2 says why a ConflictException or ValidationException happened. */
  Reason?: string;
}

const isServiceError = (err: unknown): err is AwsServiceError =>
  typeof err === 'object' && err !== null && typeof (err as AwsServiceError).$metadata?.httpStatusCode === 'number';

// Throttling that some services answer with 400 rather than 429.
const THROTTLING = new Set(['TooManyRequestsException', 'ThrottlingException', 'ThrottledRequestException', 'Throttling', 'RequestLimitExceeded']);
const AUTH = new Set(['AccessDeniedException', 'UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException', 'InvalidClientTokenId', 'SignatureDoesNotMatch']);

/** A service's own reading of some error names: the reason and, where it says more, a description or signal. */
export interface AwsErrorRule {
  reason?: ProviderErrorReason;
  description?: string;
  signal?: ProviderSignal;
}

export interface AwsFailureContext {
  /** `SES`, `End User Messaging SMS`… for messages. */
  service: string;
  timedOut: boolean;
  aborted: boolean;
  timeoutMs: number;
  /** Rules by exception name, or by `<name>:<Reason>` (checked first). */
  rules?: Readonly<Record<string, AwsErrorRule>>;
}

function reasonOf(err: AwsServiceError, status: number): ProviderErrorReason {
  if (THROTTLING.has(err.name)) return 'rate_limited';
  if (AUTH.has(err.name)) return 'auth';
  if (err.$fault === 'server') return 'server';
  return classifyStatus(status) ?? 'server';
}

/**
 * Turns whatever an AWS SDK v3 client threw into one classified ProviderError: throttling (429 or a
 * throttling exception name) and 5xx are retryable, other 4xx permanent with the service's reason
 * in the message; no answer at all is a timeout or a (retryable) server failure.
 *
 * @example toAwsProviderError(err, { service: 'SES', timedOut, aborted, timeoutMs, rules: { MessageRejected: { description: 'rejected' } } })
 */
export function toAwsProviderError(err: unknown, ctx: AwsFailureContext): ProviderError {
  if (err instanceof ProviderError) return err;
  if (isServiceError(err)) {
    const status = err.$metadata!.httpStatusCode!;
    const rule = (err.Reason !== undefined ? ctx.rules?.[`${err.name}:${err.Reason}`] : undefined) ?? ctx.rules?.[err.name];
    const code = err.Reason !== undefined ? `${err.name}:${err.Reason}` : err.name;
    const text = `${ctx.service} answered ${status} ${code}: ${err.message || 'no message'}`;
    return new ProviderError(rule?.description ? `${text} — ${rule.description}` : text, {
      reason: rule?.reason ?? reasonOf(err, status),
      status,
      providerCode: code,
      ...(rule?.signal ? { signal: rule.signal } : {}),
    });
  }
  const name = (err as Error | undefined)?.name;
  if (ctx.timedOut || name === 'TimeoutError') {
    return new ProviderError(`${ctx.service} did not answer within ${ctx.timeoutMs}ms; the message may or may not have been sent`, { reason: 'timeout' });
  }
  if (ctx.aborted || name === 'AbortError') {
    return new ProviderError(`the send to ${ctx.service} was aborted before an answer came; the message may or may not have been sent`, { reason: 'timeout' });
  }
  if (name === 'CredentialsProviderError') {
    return new ProviderError(`no AWS credentials for ${ctx.service}: set accessKeyId/secretAccessKey or provide the SDK's default chain`, { reason: 'auth' });
  }
  // No `cause`: SDK errors can carry the signed request, and logs must not see its headers.
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : name ?? 'error';
  return new ProviderError(`request to ${ctx.service} failed: ${code}`, { reason: 'server' });
}
