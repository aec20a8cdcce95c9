import { operation, paramRef } from '../operation.js';
import type { JsonSchema } from '../schemas.js';
import { MESSAGE_ID } from './examples.js';
import { ACCEPTED_ANSWER } from './messages.js';

const OFF = (setting: string): string => `Exists only when \`${setting}\` is set in gateway.yaml; otherwise a 404.`;

const FORM_BODY: JsonSchema = {
  description: 'The provider\'s callback as it sends it.',
  content: { 'application/x-www-form-urlencoded': { schema: { type: 'object' } }, 'application/json': { schema: {} } },
};
const CALLBACK_ANSWER = { description: 'Stored; `OK` as the sample answered, or what the provider expects.', content: { 'text/plain': { schema: { type: 'string' } } } };

const CONFIG_VIEW = {
  twilio: { account: { sid: 'ACx***9f', authToken: 'c3a***e1' }, apiKey: {}, isMockMode: false },
  avaya: { host: 'https://infinity.example.com', accountId: 'ACME', clientId: 'swi***rd', clientSecret: 'k9X***2q', connectorId: 'sms-1', webhookSecret: 'whs***7a', isMockMode: false },
};

/**
 * The seed integrations' endpoints, translated onto the core API. The omnichannel path is the
 * config's (`compat.omnichannel.path`), shown at its default.
 */
export function compatPaths(): Record<string, Record<string, JsonSchema>> {
  const send = (api: 'sendSMS' | 'sendWhatsApp', limit: number) => operation({
    id: api, tag: 'compat', summary: `The SMS/WhatsApp consent stack's ${api}`, auth: { scope: 'send' },
    description: `${OFF(`compat.${api}.route`)} Answered as POST /v1/messages on that route.`,
    parameters: [paramRef('IdempotencyKey')],
    body: {
      schema: api === 'sendSMS' ? 'compat-send-sms' : 'compat-send-whatsapp',
      examples: { text: { summary: `Up to ${limit} characters`, value: { destination_number: '+14155550100', message_body: 'Your code is 123456' } } },
    },
    answers: { 202: ACCEPTED_ANSWER },
    errors: [404, 409, 503],
  });
  return {
    '/v1/sendSMS': { post: send('sendSMS', 1600) },
    '/v1/sendWhatsApp': { post: send('sendWhatsApp', 4096) },
    '/v1/omnichannel': {
      post: operation({
        id: 'sendOmnichannel', tag: 'compat', summary: 'The omnichannel fallback stack\'s API', auth: { scope: 'send' },
        description: `${OFF('compat.omnichannel')} Its path is \`compat.omnichannel.path\` (default /v1/omnichannel). pc, then fc after fallback_seconds (fallback), or both at once (broadcast), over the instances compat.omnichannel names per channel.`,
        parameters: [paramRef('IdempotencyKey')],
        body: {
          schema: 'compat-omnichannel',
          examples: {
            fallback: {
              summary: 'WhatsApp, then email after 60 seconds',
              value: {
                use_case: 'fallback', fallback_seconds: 60,
                pc: { channel: 'whatsapp', recipient: '+14155550100', whatsapp: { message: 'Your order has shipped' } },
                fc: { channel: 'email', sender: 'orders@example.com', recipient: 'ana@example.com', email: { subject: 'Your order has shipped', text: 'Your order has shipped' } },
              },
            },
          },
        },
        answers: { 202: ACCEPTED_ANSWER },
        errors: [404, 409, 503],
      }),
    },
    '/health': {
      get: operation({
        id: 'getMessagingConnectHealth', tag: 'compat', summary: 'The Messaging Connect service\'s health', auth: 'none',
        description: OFF('compat.messagingConnect'),
        answers: { 200: { description: 'Healthy, with the ACS endpoint.', schema: 'MessagingConnectHealth', examples: { healthy: { summary: 'Healthy', value: { status: 'healthy', messaging_connect_enabled: true, acs_endpoint: 'https://acme.communication.azure.com', service: 'consolidated-backend' } } } } },
        errors: [404],
      }),
    },
    '/messaging-connect/test': {
      post: operation({
        id: 'sendMessagingConnectTest', tag: 'compat', summary: 'The Messaging Connect service\'s test send', auth: { scope: 'send' },
        description: `${OFF('compat.messagingConnect')} The channel_id picks the route: the ACS instance's WhatsApp registration goes out on whatsappRoute, its SMS one on smsRoute.`,
        parameters: [paramRef('IdempotencyKey')],
        body: {
          schema: 'messaging-connect-test',
          examples: { whatsapp: { summary: 'On the WhatsApp channel', value: { channel_id: '7d4f2a9e-1b3c-4e5f-8a6b-0c9d8e7f6a5b', phone_number: '+14155550100', message: 'Hello from Messaging Connect' } } },
        },
        answers: {
          200: { description: 'Stored; it goes on in the background.', schema: 'MessagingConnectAccepted', examples: { accepted: { summary: 'Accepted', value: { success: true, result: { message_id: MESSAGE_ID, status: 'accepted' }, service: 'messaging_connect' } } } },
        },
        errors: [404, 409, 503],
      }),
    },
    '/api/health': {
      get: operation({
        id: 'getAvayaConnectorHealth', tag: 'compat', summary: 'The Avaya↔Twilio connector\'s health', auth: 'none',
        description: OFF('compat.avayaConnector'),
        answers: { 200: { description: 'Healthy.', schema: 'AvayaHealth', examples: { healthy: { summary: 'Healthy', value: { status: 'healthy', timestamp: '2026-11-29T10:00:00.000Z', service: 'avaya-infinity-twilio-sms-connector' } } } } },
        errors: [404],
      }),
    },
    '/api/configs': {
      get: operation({
        id: 'getAvayaConnectorConfigs', tag: 'compat', summary: 'The connector\'s configuration, masked as the sample masks', auth: { scope: 'admin' },
        description: OFF('compat.avayaConnector'),
        answers: { 200: { description: 'The two instances\' settings in the sample\'s shape.', schema: 'AvayaConfigs', examples: { config: { summary: 'Masked', value: { success: true, config: CONFIG_VIEW } } } } },
        errors: [404],
      }),
      post: operation({
        id: 'updateAvayaConnectorConfigs', tag: 'compat', summary: 'Update the connector\'s credentials (written to the config overlay, then reloaded)', auth: { scope: 'admin' },
        description: `${OFF('compat.avayaConnector')} A 403 unless compat.avayaConnector.allowUpdates is true. An empty string takes a value out of the overlay; a refused reload puts the previous overlay back (400 config_invalid).`,
        body: { schema: 'avaya-configs', examples: { rotate: { summary: 'Rotate the Twilio auth token', value: { twilio: { account: { authToken: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' } } } } } },
        answers: {
          200: {
            description: 'Applied (or nothing to change).',
            schema: 'AvayaConfigsUpdated',
            examples: { updated: { summary: 'Updated', value: { success: true, message: 'Configuration updated successfully', config: CONFIG_VIEW, changes: { twilioChanged: true, avayaChanged: false } } } },
          },
        },
        errors: [404, 503],
      }),
    },
    '/callbacks/twilio/sms': {
      post: operation({
        id: 'avayaConnectorTwilioCallback', tag: 'compat', summary: 'The connector\'s Twilio inbound SMS callback', auth: 'provider',
        description: `${OFF('compat.avayaConnector')} The twilio instance's inbound webhook (signed by Twilio; in mock mode, the sample's unsigned form From, To, Body).`,
        rawBody: FORM_BODY,
        answers: { 200: CALLBACK_ANSWER },
        errors: [400, 401, 403, 404, 413, 415, 503],
      }),
    },
    '/callbacks/avaya/infinity/sms': {
      post: operation({
        id: 'avayaConnectorInfinityCallback', tag: 'compat', summary: 'The connector\'s Avaya Infinity events callback', auth: 'provider',
        description: `${OFF('compat.avayaConnector')} The bridge's contact center's events webhook: agent and bot replies go out through a route.`,
        rawBody: { description: 'Avaya Infinity\'s event, as it sends it.', content: { 'application/json': { schema: {} } } },
        answers: { 200: CALLBACK_ANSWER },
        errors: [400, 401, 403, 404, 413, 415, 503],
      }),
    },
  };
}
