/**
 * Example values the document shows, shared by the operations that answer with them. The OpenAPI
 * test checks each against its schema.
 */

export const MESSAGE_ID = '01JDQ4ZK8M3V6T9XW2B5N7R0CE';

/** A message that fell back from WhatsApp to SMS and was delivered. */
export const MESSAGE = {
  id: MESSAGE_ID,
  route: 'notify',
  plan: {
    mode: 'fallback',
    steps: [
      { channel: 'whatsapp', providers: ['wa-cloud'], until: 'delivered', within: '30s' },
      { channel: 'sms', providers: ['twilio-us'], until: 'delivered', within: '5m' },
    ],
  },
  to: { whatsapp: '+14155550100', sms: '+14155550100' },
  content: { text: 'Your code is 123456' },
  tags: { order: 'A-1001' },
  status: 'delivered',
  steps: [
    { state: 'timed_out', providerIndex: 0, retries: 0, startedAt: '2026-11-29T10:00:00.012Z', endedAt: '2026-11-29T10:00:30.012Z' },
    { state: 'succeeded', providerIndex: 0, retries: 0, startedAt: '2026-11-29T10:00:30.020Z', endedAt: '2026-11-29T10:00:33.410Z' },
  ],
  attempts: [
    {
      id: '01JDQ4ZK8P0A7G5M2YH3W9QD1S', step: 0, channel: 'whatsapp', provider: 'wa-cloud', to: '+14155550100', status: 'sent',
      providerMessageId: 'wamid.HBgLMTQxNTU1NTAxMDAVAgARGBI', createdAt: '2026-11-29T10:00:00.015Z', updatedAt: '2026-11-29T10:00:01.200Z',
      receipts: [{ status: 'sent', at: '2026-11-29T10:00:01.200Z' }],
    },
    {
      id: '01JDQ50GZ3KX1E8R4T6V0B2N9M', step: 1, channel: 'sms', provider: 'twilio-us', to: '+14155550100', status: 'delivered',
      providerMessageId: 'SM5f0c7e9a1b2d3c4e5f60718293a4b5c6', createdAt: '2026-11-29T10:00:30.025Z', updatedAt: '2026-11-29T10:00:33.410Z',
      receipts: [{ status: 'sent', at: '2026-11-29T10:00:31.002Z' }, { status: 'delivered', at: '2026-11-29T10:00:33.410Z' }],
    },
  ],
  history: [
    { at: '2026-11-29T10:00:00.010Z', event: 'accepted', status: 'accepted' },
    { at: '2026-11-29T10:00:00.012Z', event: 'routing', status: 'routing', step: 0 },
    { at: '2026-11-29T10:00:01.200Z', event: 'attempt_sent', step: 0, attempt: '01JDQ4ZK8P0A7G5M2YH3W9QD1S' },
    { at: '2026-11-29T10:00:30.012Z', event: 'fallback', step: 1, cause: 'fallback: no delivered receipt within 30s' },
    { at: '2026-11-29T10:00:33.410Z', event: 'completed', status: 'delivered', step: 1, attempt: '01JDQ50GZ3KX1E8R4T6V0B2N9M' },
  ],
  createdAt: '2026-11-29T10:00:00.010Z',
  updatedAt: '2026-11-29T10:00:33.410Z',
  completedAt: '2026-11-29T10:00:33.410Z',
};

export const INBOUND = {
  id: '01JDQ6A1B2C3D4E5F6G7H8J9KM',
  instance: 'twilio-us',
  channel: 'sms',
  from: '+14155550100',
  to: '+14155550199',
  text: 'STOP',
  providerMessageId: 'SM0b1c2d3e4f5061728394a5b6c7d8e9f0',
  receivedAt: '2026-11-29T10:05:00.000Z',
};

export const SUPPRESSION_ENTRY = {
  channel: 'sms',
  sender: '+14155550199',
  address: '+14155550100',
  source: 'api',
  detail: 'support: asked by phone to stop',
  at: '2026-11-29T10:06:00.000Z',
};

export const DEAD_LETTER = {
  id: '01JDQ7Q8R9S0T1V2W3X4Y5Z6A7',
  kind: 'callback',
  reason: 'gave up after 10 tries: 503 from https://app.example.com/hooks/switchboard',
  at: '2026-11-29T12:00:00.000Z',
  job: {
    id: '01JDQ50H1A2B3C4D5E6F7G8H9J',
    messageId: MESSAGE_ID,
    url: 'https://app.example.com/hooks/switchboard',
    body: '{"id":"01JDQ4ZK8M3V6T9XW2B5N7R0CE","status":"delivered"}',
    tries: 10,
    lastError: '503 Service Unavailable',
  },
};

export const CONFIG_HASH = '9f2c1b7e4a0d6c3e8b5a1f4d7c2e9b6a3f0d8c5b2e7a4f1c6d9b3e0a5f8c2d7b';
