import type { ProviderError } from '../errors.js';
import type { Logger } from './logger.js';

export interface ProviderFailure {
  /** The provider instance (`twilio-us`), as metrics name it. */
  provider: string;
  /** Its plugin (`twilio`), when known. */
  plugin?: string;
  /** What failed: `send`, `deliver` (to a contact center), `webhook`. */
  operation: string;
  messageId?: string;
  /** For a delivery of an inbound message (to a contact center). */
  inboundId?: string;
  attemptId?: string;
}

/**
 * One warn line for a provider call that failed, the same fields wherever it happens: the
 * instance, the normalized `reason` (the metric label), the provider's own code and text, and
 * whether it will be retried — so a log query by `provider` and `reason` finds every failure.
 *
 * @example logProviderFailure(ctx.logger, { provider: 'twilio-us', plugin: 'twilio', operation: 'send', messageId: m.id }, err);
 */
export function logProviderFailure(logger: Logger, about: ProviderFailure, e: ProviderError): void {
  logger.warn(
    { ...about, reason: e.reason, ...(e.status !== undefined ? { status: e.status } : {}), ...(e.providerCode !== undefined ? { providerCode: e.providerCode } : {}), retryable: e.retryable, error: e.message },
    `${about.provider}: ${about.operation} failed (${e.reason}): ${e.message}`,
  );
}
