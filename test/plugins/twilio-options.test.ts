import { describe, expect, it } from 'vitest';
import { TWILIO_STATUS_MAP, mapTwilioStatus, twilioPlugin, type TwilioOptions } from '../../plugins/twilio/index.js';
import { createAjv } from '../../src/config/ajv.js';
import { collectSecrets } from '../../src/config/secrets.js';

const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const KEY_SID = `SK${'1'.repeat(32)}`;
const SERVICE_SID = `MG${'2'.repeat(32)}`;

describe('twilio status map', () => {
  it('pins every Twilio MessageStatus to a normalized status', () => {
    expect(TWILIO_STATUS_MAP).toEqual({
      queued: 'queued',
      accepted: 'queued',
      scheduled: 'queued',
      sending: 'sent',
      sent: 'sent',
      partially_delivered: 'sent',
      delivered: 'delivered',
      read: 'read',
      undelivered: 'undelivered',
      failed: 'failed',
      canceled: 'failed',
    });
  });

  it('has no status for inbound-only or unknown values', () => {
    for (const s of ['receiving', 'received', 'toString', 'DELIVERED', '']) expect(mapTwilioStatus(s)).toBeUndefined();
  });
});

describe('twilio options schema', () => {
  const validate = createAjv().compile(twilioPlugin.optionsSchema);
  const check = (options: Record<string, unknown>) => {
    const copy = structuredClone(options);
    return { valid: validate(copy), copy, errors: validate.errors?.map((e) => `${e.instancePath} ${e.message}`) ?? [] };
  };

  it('fills channels and timeout defaults', () => {
    const { valid, copy } = check({ accountSid: ACCOUNT_SID, authToken: 'tok', from: '+15550001111' });
    expect(valid).toBe(true);
    expect(copy).toEqual({ accountSid: ACCOUNT_SID, authToken: 'tok', from: '+15550001111', channels: ['whatsapp', 'sms', 'mms'], timeout: '10s' });
  });

  it.each([
    ['API key pair with a Messaging Service', { apiKeySid: KEY_SID, apiKeySecret: 's', messagingServiceSid: SERVICE_SID }],
    ['API key and auth token (for webhooks)', { apiKeySid: KEY_SID, apiKeySecret: 's', authToken: 't', whatsappFrom: 'whatsapp:+15550001111' }],
    ['everything', { authToken: 't', from: '+15550001111', whatsappFrom: '+15550003333', messagingServiceSid: SERVICE_SID, channels: ['sms'], baseUrl: 'http://127.0.0.1:4010', webhookUrl: 'https://gw.example.org/webhooks/twilio-us', timeout: '200ms' }],
  ])('accepts %s', (_name, extra) => {
    expect(check({ accountSid: ACCOUNT_SID, ...extra }).errors).toEqual([]);
  });

  it.each([
    ['no credentials', { from: '+15550001111' }],
    ['an API key without its secret', { apiKeySid: KEY_SID, from: '+15550001111' }],
    ['no sender', { authToken: 't' }],
    ['a sender that is not E.164', { authToken: 't', from: '5550001111' }],
    ['an account SID that is not AC…', { authToken: 't', from: '+15550001111', accountSid: `SK${'0'.repeat(32)}` }],
    ['an unknown property', { authToken: 't', from: '+15550001111', region: 'ie1' }],
    ['email as a channel', { authToken: 't', from: '+15550001111', channels: ['email'] }],
    ['a malformed timeout', { authToken: 't', from: '+15550001111', timeout: 'soon' }],
    ['a baseUrl with a path', { authToken: 't', from: '+15550001111', baseUrl: 'https://api.twilio.com/2010-04-01' }],
  ])('refuses %s', (_name, extra) => {
    expect(check({ accountSid: ACCOUNT_SID, ...extra }).valid).toBe(false);
  });

  it('marks the auth token and the API key secret as secrets', () => {
    const secrets = new Set<string>();
    collectSecrets(twilioPlugin.optionsSchema, { accountSid: ACCOUNT_SID, authToken: 'tok-value', apiKeySid: KEY_SID, apiKeySecret: 'key-value', from: '+15550001111' }, secrets);
    expect([...secrets].sort()).toEqual(['key-value', 'tok-value']);
  });
});

describe('twilio channels', () => {
  const options = (o: Partial<TwilioOptions>): TwilioOptions => ({ accountSid: ACCOUNT_SID, authToken: 't', channels: ['whatsapp', 'sms', 'mms'], timeout: '10s', ...o });

  it('offers only the channels that have a sender', () => {
    expect(twilioPlugin.channels(options({ from: '+15550001111' }))).toEqual(['whatsapp', 'sms', 'mms']);
    expect(twilioPlugin.channels(options({ whatsappFrom: '+15550001111' }))).toEqual(['whatsapp']);
    expect(twilioPlugin.channels(options({ messagingServiceSid: SERVICE_SID, channels: ['sms'] }))).toEqual(['sms']);
  });
});
