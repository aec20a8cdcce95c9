import type { AwsErrorRule } from '../../src/plugin-api.js';

/** End User Messaging Social exceptions that say more than their status; throttling and 5xx are the shared classifier's. */
export const WHATSAPP_ERROR_RULES: Readonly<Record<string, AwsErrorRule>> = Object.freeze({
  AccessDeniedByMetaException: { reason: 'auth', description: 'Meta refused the request for this WhatsApp Business Account' },
  InvalidParametersException: { reason: 'client', description: 'the message JSON or a parameter is not valid for Meta' },
  ResourceNotFoundException: { reason: 'client', description: 'the origination phone number id does not exist' },
  DependencyException: { reason: 'server', description: 'Meta could not be reached' },
});

/**
 * Meta error codes in a `failed` status that mean more than a failure: 131047 is "more than 24
 * hours since the user last wrote" (the consent policy learns the window is closed).
 */
export const OUTSIDE_WINDOW_CODE = '131047';
