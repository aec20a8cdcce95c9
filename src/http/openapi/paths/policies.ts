import { operation, paramRef, pathParam, queryParam } from '../operation.js';
import { schemaRef, type JsonSchema } from '../schemas.js';
import { SUPPRESSION_ENTRY } from './examples.js';

const entryParams = [
  pathParam('channel', 'sms, mms, whatsapp or email (mms is kept as sms).', schemaRef('Channel'), 'sms'),
  pathParam('sender', 'The business sender, URL-encoded.', { type: 'string' }, '+14155550199'),
  pathParam('address', 'The user, URL-encoded: E.164, a WhatsApp user id, or an email address.', { type: 'string' }, '+14155550100'),
];

const ENTRY_EXAMPLES = { entry: { summary: 'An opt-out entered by an operator', value: SUPPRESSION_ENTRY } };

/** `/v1/consent/…` and `/v1/suppressions…`: the policies' state, for people and tools. */
export function policyPaths(): Record<string, Record<string, JsonSchema>> {
  return {
    '/v1/consent/whatsapp/{address}': {
      get: operation({
        id: 'getWhatsAppConsent', tag: 'consent', summary: 'A WhatsApp user\'s consent windows, holds and opt-ins', auth: { scope: 'read' },
        parameters: [pathParam('address', 'The user: an E.164 number or a WhatsApp user id.', { type: 'string' }, '+14155550100')],
        answers: {
          200: {
            description: 'The user\'s state with every configured WhatsApp sender.',
            schema: 'ConsentState',
            examples: {
              open: {
                summary: 'A window open after the user wrote',
                value: { address: '+14155550100', senders: [{ sender: '+14155550199', providers: ['wa-cloud'], window: { open: true, closesAt: '2026-11-30T10:05:00.000Z' }, held: 0, lastOptIn: null, lateReplyPending: false }] },
              },
            },
          },
        },
        errors: [400],
      }),
    },
    '/v1/suppressions': {
      get: operation({
        id: 'listSuppressions', tag: 'suppressions', summary: 'List opted-out users', auth: { scope: 'read' },
        parameters: [
          queryParam('channel', 'Only this channel.', schemaRef('Channel'), 'sms'),
          queryParam('sender', 'Only this business sender.', { type: 'string' }, '+14155550199'),
          queryParam('address', 'Only this user.', { type: 'string' }, '+14155550100'),
          paramRef('Limit'),
          queryParam('cursor', 'nextCursor of the previous page.', { type: 'string' }),
        ],
        answers: { 200: { description: 'One page of entries.', schema: 'SuppressionPage', examples: { page: { summary: 'One entry', value: { items: [SUPPRESSION_ENTRY] } } } } },
        errors: [400],
      }),
      post: operation({
        id: 'addSuppression', tag: 'suppressions', summary: 'Opt a user out of a channel and sender', auth: { scope: 'admin' },
        description: 'Give exactly one of sender and provider (whose sender on the channel is used).',
        body: {
          schema: 'suppression',
          examples: {
            sender: { summary: 'By sender', value: { channel: 'sms', sender: '+14155550199', address: '+14155550100', note: 'asked by phone to stop' } },
            provider: { summary: 'By the provider instance that sends', value: { channel: 'whatsapp', provider: 'wa-cloud', address: '+14155550100' } },
          },
        },
        answers: {
          201: { description: 'Added.', schema: 'SuppressionEntry', headers: { Location: { description: 'The entry.', schema: { type: 'string' } } }, examples: ENTRY_EXAMPLES },
          200: { description: 'It was there already (unchanged).', schema: 'SuppressionEntry', examples: ENTRY_EXAMPLES },
        },
        errors: [503],
      }),
    },
    '/v1/suppressions/{channel}/{sender}/{address}': {
      get: operation({
        id: 'getSuppression', tag: 'suppressions', summary: 'One opt-out entry', auth: { scope: 'read' },
        parameters: entryParams,
        answers: { 200: { description: 'The entry.', schema: 'SuppressionEntry', examples: ENTRY_EXAMPLES } },
        errors: [400, 404],
      }),
      delete: operation({
        id: 'deleteSuppression', tag: 'suppressions', summary: 'Opt a user back in', auth: { scope: 'admin' },
        parameters: entryParams,
        answers: { 204: { description: 'Removed.' } },
        errors: [400, 404, 503],
      }),
    },
  };
}
