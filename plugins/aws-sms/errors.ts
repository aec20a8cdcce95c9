import type { AwsErrorRule } from '../../src/plugin-api.js';

/**
 * End User Messaging SMS exceptions that say more than their status. The opt-out conflict also
 * signals `opted_out`, which adds a suppression entry; throttling and 5xx are the shared
 * classifier's (retryable).
 */
export const SMS_ERROR_RULES: Readonly<Record<string, AwsErrorRule>> = Object.freeze({
  'ConflictException:DESTINATION_PHONE_NUMBER_OPTED_OUT': { reason: 'client', signal: 'opted_out', description: 'the recipient has opted out of messages from this sender (replied STOP)' },
  'ValidationException:DESTINATION_COUNTRY_BLOCKED': { reason: 'client', description: 'sending to this country is blocked for the account' },
  'ValidationException:MAXIMUM_PRICE_EXCEEDED': { reason: 'client', description: 'the destination costs more than maxPrice' },
  ServiceQuotaExceededException: { reason: 'client', description: 'an account quota (such as the monthly spend limit) is reached' },
  ResourceNotFoundException: { reason: 'client', description: 'the origination identity or configuration set does not exist' },
});
