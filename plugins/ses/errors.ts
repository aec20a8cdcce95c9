import type { AwsErrorRule } from '../../src/plugin-api.js';

/**
 * What SES's own exceptions mean for the attempt, beyond their HTTP status. Throttling and 5xx
 * are classified by the shared AWS classifier (retryable); these are the permanent ones an
 * operator acts on, and `SendingPausedException`/`AccountSuspendedException`, which are 400s
 * that no retry can fix either.
 */
export const SES_ERROR_RULES: Readonly<Record<string, AwsErrorRule>> = Object.freeze({
  MessageRejected: { reason: 'client', description: 'SES rejected the message (unverified recipient in the sandbox, or content it will not send)' },
  MailFromDomainNotVerifiedException: { reason: 'client', description: 'the MAIL FROM domain is not verified in SES' },
  AccountSuspendedException: { reason: 'client', description: 'the SES account is suspended from sending' },
  SendingPausedException: { reason: 'client', description: 'sending is paused for this account or configuration set' },
  NotFoundException: { reason: 'client', description: 'the template, configuration set or identity does not exist' },
  LimitExceededException: { reason: 'client', description: 'an SES limit was exceeded' },
  BadRequestException: { reason: 'client', description: 'SES refused the request as malformed' },
});
