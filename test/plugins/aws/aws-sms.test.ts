import { describe, expect, it } from 'vitest';
import { createAwsSmsProvider, parseSmsNotification, type AwsSmsOptions } from '../../../plugins/aws-sms/index.js';
import { ProviderError, type OutboundMessage } from '../../../src/plugin-api.js';
import { signedScope } from '../../fakes/aws/fake-server.js';
import { startSmsFake, type SmsFake } from '../../fakes/aws/sms-fake.js';
import { useAwsFake } from '../../helpers/aws-fakes.js';
import { pluginDeps } from '../../helpers/plugin-deps.js';

let fake: SmsFake;
useAwsFake(startSmsFake, (f) => {
  fake = f;
});

const options = (extra: Partial<AwsSmsOptions> = {}): AwsSmsOptions => Object.freeze({
  region: 'us-east-1', accessKeyId: 'AKIDSMSTEST000000', secretAccessKey: 'sms-secret', endpoint: fake.url, timeout: '2s',
  originationIdentity: 'pool-0123456789abcdef', messageType: 'TRANSACTIONAL' as const, configurationSet: 'sms-events', maxPrice: '0.05', ttl: '1h', ...extra,
});
const sms = (content: OutboundMessage['content'], extra: Partial<OutboundMessage> = {}): OutboundMessage => ({
  attemptId: '01JATTEMPTSMS', messageId: '01JMESSAGESMS', channel: 'sms', to: '+15557654321', content, ...extra,
});
const send = (message: OutboundMessage, opts = options()) => createAwsSmsProvider(opts, pluginDeps('aws-sms')).send(message, { signal: new AbortController().signal });

describe('aws-sms plugin: SendTextMessage through @aws-sdk/client-pinpoint-sms-voice-v2 against the fake', () => {
  it('sends with the origination identity, type, configuration set, price, TTL and the attempt in Context', async () => {
    const receipt = await send(sms({ text: 'Your code is 123456' }));
    expect(receipt).toEqual({ providerMessageId: fake.sent[0].messageId, status: 'queued', details: { segments: 1, encoding: 'GSM-7', messageType: 'TRANSACTIONAL' } });
    const req = fake.sent[0].request;
    expect(req.headers['x-amz-target']).toBe('PinpointSMSVoiceV2.SendTextMessage');
    expect(req.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(signedScope(req)).toMatch(/\/us-east-1\/sms-voice\/aws4_request$/);
    expect(fake.sent[0].body).toEqual({
      DestinationPhoneNumber: '+15557654321', OriginationIdentity: 'pool-0123456789abcdef', MessageBody: 'Your code is 123456',
      MessageType: 'TRANSACTIONAL', ConfigurationSetName: 'sms-events', MaxPrice: '0.05', TimeToLive: 3600,
      Context: { switchboardAttempt: '01JATTEMPTSMS', switchboardMessage: '01JMESSAGESMS' },
    });
  });

  it('lets the message choose its type, configuration set and sender', async () => {
    await send(sms({ text: 'Sale!', messageType: 'promotional', configurationSet: 'marketing' }, { from: '+15550009999' }));
    expect(fake.sent[0].body).toMatchObject({ MessageType: 'PROMOTIONAL', ConfigurationSetName: 'marketing', OriginationIdentity: '+15550009999' });
  });

  it('refuses, without a request, an empty text, a group and another channel', async () => {
    for (const message of [sms({}), sms({ text: 'hi' }, { to: '+15557654321,+15557654322' }), sms({ text: 'hi' }, { channel: 'whatsapp' })]) {
      await expect(send(message)).rejects.toMatchObject({ reason: 'client', retryable: false });
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('classifies an opted-out destination as permanent with the opted_out signal; throttling as retryable', async () => {
    fake.failNext({ status: 400, name: 'ConflictException', message: 'opted out', fields: { Reason: 'DESTINATION_PHONE_NUMBER_OPTED_OUT', ResourceType: 'opt-out-list' } });
    const optedOut = await send(sms({ text: 'hi' })).catch((e: unknown) => e);
    expect(optedOut).toMatchObject({ reason: 'client', retryable: false, signal: 'opted_out', providerCode: 'ConflictException:DESTINATION_PHONE_NUMBER_OPTED_OUT' });
    fake.failNext({ status: 400, name: 'ThrottlingException', message: 'slow down' });
    expect(await send(sms({ text: 'hi' })).catch((e: unknown) => e)).toMatchObject({ reason: 'rate_limited', retryable: true });
    fake.failNext({ status: 500, name: 'InternalServerException', message: 'oops' });
    expect(await send(sms({ text: 'hi' })).catch((e: unknown) => e)).toMatchObject({ reason: 'server', retryable: true });
    fake.failNext({ status: 400, name: 'ValidationException', message: 'country blocked', fields: { Reason: 'DESTINATION_COUNTRY_BLOCKED' } });
    const blocked = (await send(sms({ text: 'hi' })).catch((e: unknown) => e)) as ProviderError;
    expect(blocked).toMatchObject({ reason: 'client', retryable: false });
    expect(blocked.message).toContain('blocked for the account');
  });
});

describe('aws-sms SNS notifications', () => {
  const event = (eventType: string, extra: Record<string, unknown> = {}) => parseSmsNotification(JSON.stringify({
    eventType, eventVersion: '1.0', eventTimestamp: 1_795_000_000_000, messageId: 'sms-1', isFinal: true, destinationPhoneNumber: '+15557654321',
    messageStatus: 'DELIVERED', messageStatusDescription: 'Message has been accepted by phone', isoCountryCode: 'US', totalMessageParts: 1, totalMessagePrice: 0.00581,
    context: { switchboardAttempt: '01JATTEMPTSMS' }, ...extra,
  }));

  it('maps TEXT_DELIVERED and TEXT_SUCCESSFUL to delivered, failures with their event type as the code', () => {
    expect(event('TEXT_DELIVERED')).toEqual({ ok: true, events: [{ type: 'status', providerMessageId: 'sms-1', status: 'delivered', at: new Date(1_795_000_000_000).toISOString(), details: { eventType: 'TEXT_DELIVERED', messageStatus: 'DELIVERED', isoCountryCode: 'US', parts: 1, price: 0.00581 } }] });
    expect(event('TEXT_SUCCESSFUL')).toMatchObject({ events: [{ status: 'delivered' }] });
    expect(event('TEXT_CARRIER_UNREACHABLE', { messageStatusDescription: 'carrier unreachable' })).toMatchObject({ events: [{ status: 'undelivered', errorCode: 'TEXT_CARRIER_UNREACHABLE', errorReason: 'carrier unreachable' }] });
    expect(event('TEXT_BLOCKED')).toMatchObject({ events: [{ status: 'failed', errorCode: 'TEXT_BLOCKED' }] });
    expect(event('TEXT_UNKNOWN')).toMatchObject({ events: [{ status: 'sent', errorCode: 'TEXT_UNKNOWN' }] });
    expect(event('VOICE_COMPLETED')).toEqual({ ok: true, events: [] });
  });

  it('turns a two-way SMS into an inbound event', () => {
    expect(parseSmsNotification(JSON.stringify({ originationNumber: '+15557654321', destinationNumber: '+15550002222', messageKeyword: 'KEYWORD_123456789012', messageBody: 'STOP', inboundMessageId: 'in-1', previousPublishedMessageId: 'sms-1' }))).toEqual({
      ok: true, events: [{ type: 'inbound', channel: 'sms', from: '+15557654321', to: '+15550002222', text: 'STOP', providerMessageId: 'in-1', details: { keyword: 'KEYWORD_123456789012', previousPublishedMessageId: 'sms-1' } }],
    });
  });

  it('answers 400 for notifications it cannot read', () => {
    expect(parseSmsNotification('nope')).toMatchObject({ ok: false, status: 400 });
    expect(parseSmsNotification('{}')).toMatchObject({ ok: false, status: 400, reason: expect.stringContaining('eventType') });
    expect(parseSmsNotification(JSON.stringify({ eventType: 'TEXT_SENT' }))).toMatchObject({ ok: false, status: 400, reason: expect.stringContaining('messageId') });
    expect(parseSmsNotification(JSON.stringify({ inboundMessageId: 'x' }))).toMatchObject({ ok: false, status: 400 });
  });
});
