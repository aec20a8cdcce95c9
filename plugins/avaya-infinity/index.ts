import { parseDuration, readSchema, type ContactCenter, type ContactCenterPluginDefinition, type PluginDeps } from '../../src/plugin-api.js';
import { createDeliver } from './deliver.js';
import { endpoint, type AvayaOptions } from './options.js';
import { createAvayaTokens } from './tokens.js';
import { createEventsHandler } from './webhooks.js';

export type { AvayaOptions } from './options.js';
export { avayaChannel, sendBodies, splitText, MAX_TEXT } from './deliver.js';
export { describeProblem } from './errors.js';
export { jwtExpiry } from './tokens.js';
export { parseEvent, verifySignature, SIGNATURE_HEADER } from './webhooks.js';

/**
 * An Avaya Infinity Custom Messaging connector as a contact-center instance.
 *
 * - `deliver`: one customer message → Send Message (`sendPath`) with a bearer token from
 *   `tokenPath` (client credentials, shared and renewed before the JWT's `exp`; one retry with a
 *   fresh token on 401). Receipt: `{conversationId: conversationSessionId, providerMessageId: messageId}`.
 * - webhook `events`: `x-avaya-event-signature` checked with `webhookSecret`; `messages` → one
 *   agent event (any sender type); `health_check` and other types → no events.
 *
 * @example
 *   const avaya = createAvayaContactCenter({ baseUrl: 'https://core.acme.ec.avayacloud.com', accountId: 'acc-1',
 *     connectorId: 'conn-1', clientId, clientSecret, webhookSecret, sendPath: '/api/digital/messaging/v1/accounts/{accountId}/messages',
 *     tokenPath: '/auth/realms/avaya/protocol/openid-connect/token', timeout: '10s' }, deps);
 *   const { conversationId } = await avaya.deliver({ inboundId, receivedAt, provider: 'twilio-us', channel: 'sms',
 *     from: '+15551230000', to: '+15557654321', text: 'Hi' }, { signal });
 */
export function createAvayaContactCenter(options: AvayaOptions, deps: PluginDeps): ContactCenter {
  const timeoutMs = parseDuration(options.timeout) ?? 10_000;
  const tokens = createAvayaTokens(endpoint(options, options.tokenPath), options, deps, timeoutMs);
  return {
    kind: 'contact-center',
    deliver: createDeliver(options, deps, tokens),
    webhooks: Object.freeze({ events: createEventsHandler(options.webhookSecret) }),
  };
}

export const avayaInfinityPlugin: ContactCenterPluginDefinition<AvayaOptions> = {
  name: 'avaya-infinity',
  kind: 'contact-center',
  optionsSchema: readSchema('plugins/avaya-infinity.schema.json'),
  // A contact center is the far end of a bridge, never a step of a route.
  channels: () => [],
  create: createAvayaContactCenter,
};
