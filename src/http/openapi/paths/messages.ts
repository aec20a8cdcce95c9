import { operation, paramRef, pathParam, queryParam } from '../operation.js';
import { schemaRef, type JsonSchema } from '../schemas.js';
import { INBOUND, MESSAGE, MESSAGE_ID } from './examples.js';

const PHONE = '+14155550100';

/** The answer every core send endpoint gives (also the compatibility ones that translate onto it). */
export const ACCEPTED_ANSWER = {
  description: 'Stored: the message goes on in the background. With a replayed Idempotency-Key, the first message and where it has got to.',
  schema: 'Accepted',
  headers: {
    Location: { description: 'The message: /v1/messages/{id}.', schema: { type: 'string' } },
    'Idempotent-Replayed': { description: '`true` when the Idempotency-Key found an earlier message (nothing was sent again).', schema: { const: 'true' } },
  },
  examples: { accepted: { summary: 'A new message', value: { id: MESSAGE_ID, status: 'accepted' } } },
};

const messageId = pathParam('id', 'The message id (a ULID).', schemaRef('Ulid'), MESSAGE_ID);

/** `/v1/messages…` and `/v1/inbound`. */
export function messagePaths(): Record<string, Record<string, JsonSchema>> {
  return {
    '/v1/messages': {
      get: operation({
        id: 'listMessages', tag: 'messages', summary: 'List messages, newest first', auth: { scope: 'read' },
        parameters: [
          queryParam('status', 'Only messages in this status.', schemaRef('MessageStatus'), 'failed'),
          queryParam('route', 'Only messages of this route.', { type: 'string' }, 'notify'),
          paramRef('Since'), paramRef('Limit'), paramRef('Cursor'),
        ],
        answers: { 200: { description: 'One page of messages.', schema: 'MessagePage', examples: { page: { summary: 'The last page', value: { items: [MESSAGE] } } } } },
        errors: [400],
      }),
      post: operation({
        id: 'sendMessage', tag: 'messages', summary: 'Send a message on a route', auth: { scope: 'send' },
        description: 'Answers 202 only once the message is durably stored. A route of gateway.yaml by name; an inline plan `{mode, steps}` needs a key with the `send:inline` scope. '
          + 'The same Idempotency-Key (per API key) returns the same message and sends nothing twice; with a different body it is a 409.',
        parameters: [paramRef('IdempotencyKey')],
        body: {
          schema: 'send-message',
          examples: {
            phone: { summary: 'A route with WhatsApp, then SMS, to one number', value: { route: 'notify', to: { phone: PHONE }, content: { text: 'Your code is 123456' }, callbackUrl: 'https://app.example.com/hooks/switchboard', tags: { order: 'A-1001' } } },
            email: { summary: 'An email', value: { route: 'mail', to: { email: 'ana@example.com' }, content: { subject: 'Welcome', text: 'Hello Ana', html: '<p>Hello Ana</p>' } } },
            template: {
              summary: 'A WhatsApp template, with its own text for the SMS step',
              value: {
                route: 'notify', to: { whatsapp: '+5511987654321', sms: '+5511987654321' }, locale: 'pt_BR',
                content: { template: { name: 'order_update', language: 'pt_BR', variables: ['A-1001'] }, channels: { sms: { text: 'Seu pedido A-1001 foi enviado' } } },
              },
            },
            inline: {
              summary: 'An inline plan (send:inline scope)',
              value: {
                route: { mode: 'fallback', steps: [{ channel: 'whatsapp', providers: ['wa-cloud'], until: 'delivered', within: '30s' }, { channel: 'sms', providers: ['twilio-us'], until: 'delivered', within: '5m' }] },
                to: { phone: PHONE }, content: { text: 'Your table is ready' },
              },
            },
          },
        },
        answers: { 202: ACCEPTED_ANSWER },
        errors: [409, 503],
      }),
    },
    '/v1/messages/{id}': {
      get: operation({
        id: 'getMessage', tag: 'messages', summary: 'A message with its attempts and history', auth: { scope: 'read' },
        parameters: [messageId],
        answers: { 200: { description: 'The message.', schema: 'Message', examples: { fallback: { summary: 'Delivered by SMS after WhatsApp timed out', value: MESSAGE } } } },
        errors: [404],
      }),
    },
    '/v1/messages/{id}/cancel': {
      post: operation({
        id: 'cancelMessage', tag: 'messages', summary: 'Cancel pending fallbacks and holds', auth: { scope: 'send' },
        description: 'Takes no body (an empty JSON object is fine). A message already final is a 409.',
        parameters: [messageId],
        answers: { 200: { description: 'Canceled.', schema: 'MessageStatusChange', examples: { canceled: { summary: 'Canceled', value: { id: MESSAGE_ID, status: 'canceled' } } } } },
        errors: [404, 409, 415, 503],
      }),
    },
    '/v1/inbound': {
      get: operation({
        id: 'listInbound', tag: 'inbound', summary: 'List inbound messages, newest first', auth: { scope: 'read' },
        parameters: [
          queryParam('instance', 'Only those that came through this provider instance.', { type: 'string' }, 'twilio-us'),
          queryParam('channel', 'Only this channel.', schemaRef('Channel'), 'sms'),
          queryParam('from', 'Only from this user address.', { type: 'string' }, PHONE),
          queryParam('to', 'Only to this business address.', { type: 'string' }, '+14155550199'),
          paramRef('Since'), paramRef('Limit'), paramRef('Cursor'),
        ],
        answers: { 200: { description: 'One page of inbound messages.', schema: 'InboundPage', examples: { page: { summary: 'A STOP', value: { items: [INBOUND] } } } } },
        errors: [400],
      }),
    },
  };
}
