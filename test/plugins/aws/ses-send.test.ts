import { describe, expect, it } from 'vitest';
import { createSesProvider, type SesOptions } from '../../../plugins/ses/index.js';
import { ProviderError, type OutboundMessage } from '../../../src/plugin-api.js';
import { signedScope } from '../../fakes/aws/fake-server.js';
import { startSesFake, type SesFake } from '../../fakes/aws/ses-fake.js';
import { useAwsFake } from '../../helpers/aws-fakes.js';
import { pluginDeps } from '../../helpers/plugin-deps.js';

let ses: SesFake;
useAwsFake(startSesFake, (f) => {
  ses = f;
});

const options = (extra: Partial<SesOptions> = {}): SesOptions => Object.freeze({
  region: 'eu-west-1', accessKeyId: 'AKIDSESTEST000000', secretAccessKey: 'ses-secret', endpoint: ses.url, timeout: '2s',
  from: 'Shop <no-reply@shop.example>', replyTo: ['help@shop.example'], configurationSet: 'shop-events', ...extra,
});

const email = (content: OutboundMessage['content'], extra: Partial<OutboundMessage> = {}): OutboundMessage => ({
  attemptId: '01JATTEMPT000000000000000A', messageId: '01JMESSAGE000000000000000M', channel: 'email', to: 'ann@example.com', content, ...extra,
});

const send = (message: OutboundMessage, opts = options()) => createSesProvider(opts, pluginDeps('ses')).send(message, { signal: new AbortController().signal });

async function failure(message: OutboundMessage, opts = options()): Promise<ProviderError> {
  const err = await send(message, opts).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('ses plugin: SendEmail through @aws-sdk/client-sesv2 against the fake', () => {
  it('sends simple content with the sender, reply-to, configuration set and the attempt id as an EmailTag', async () => {
    const receipt = await send(email({ subject: 'Your order', text: 'It ships today', html: '<p>It ships today</p>' }));
    expect(receipt).toEqual({ providerMessageId: ses.sent[0].messageId, status: 'queued' });
    const req = ses.sent[0].request;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v2/email/outbound-emails');
    expect(signedScope(req)).toMatch(/^AKIDSESTEST000000\/\d{8}\/eu-west-1\/ses\/aws4_request$/);
    expect(ses.sent[0].body).toEqual({
      FromEmailAddress: 'Shop <no-reply@shop.example>',
      Destination: { ToAddresses: ['ann@example.com'] },
      ReplyToAddresses: ['help@shop.example'],
      Content: { Simple: { Subject: { Data: 'Your order', Charset: 'UTF-8' }, Body: { Text: { Data: 'It ships today', Charset: 'UTF-8' }, Html: { Data: '<p>It ships today</p>', Charset: 'UTF-8' } } } },
      EmailTags: [{ Name: 'switchboard-attempt', Value: '01JATTEMPT000000000000000A' }, { Name: 'switchboard-message', Value: '01JMESSAGE000000000000000M' }],
      ConfigurationSetName: 'shop-events',
    });
  });

  it('sends a stored template with the variables as TemplateData, from the sender the message names', async () => {
    const receipt = await send(email({ template: { name: 'welcome', variables: { name: 'Ann', plan: 'Pro' } } }, { from: 'billing@shop.example' }));
    expect(receipt.details).toEqual({ template: 'welcome' });
    expect(ses.sent[0].body.FromEmailAddress).toBe('billing@shop.example');
    expect(ses.sent[0].body.Content).toEqual({ Template: { TemplateName: 'welcome', TemplateData: '{"name":"Ann","plan":"Pro"}' } });
  });

  it('passes a template ARN as TemplateArn and positional variables as "1", "2"', async () => {
    await send(email({ template: { name: 'arn:aws:ses:eu-west-1:123456789012:template/welcome', variables: ['Ann', 'Pro'] } }));
    expect(ses.sent[0].body.Content).toEqual({ Template: { TemplateArn: 'arn:aws:ses:eu-west-1:123456789012:template/welcome', TemplateData: '{"1":"Ann","2":"Pro"}' } });
  });

  it('refuses, without a request, an email without subject, without a body, or to a phone number', async () => {
    for (const [message, text] of [
      [email({ text: 'no subject' }), /subject/],
      [email({ subject: 'only a subject' }), /text, html or a template/],
      [email({ subject: 's', text: 't' }, { to: '+15551230000' }), /no email address/],
      [email({ text: 't' }, { channel: 'sms' }), /not sms/],
    ] as const) {
      const err = await failure(message);
      expect(err).toMatchObject({ reason: 'client', retryable: false });
      expect(err.message).toMatch(text);
    }
    expect(ses.requests).toHaveLength(0);
  });

  it.each([
    [{ status: 400, name: 'MessageRejected', message: 'Email address is not verified. The following identities failed the check in region EU-WEST-1: ann@example.com' }, 'client', false, /not verified.*sandbox/s],
    [{ status: 400, name: 'MailFromDomainNotVerifiedException', message: 'MAIL FROM domain not verified' }, 'client', false, /MAIL FROM domain is not verified/],
    [{ status: 400, name: 'AccountSuspendedException', message: 'suspended' }, 'client', false, /suspended/],
    [{ status: 429, name: 'TooManyRequestsException', message: 'Maximum sending rate exceeded.' }, 'rate_limited', true, /429 TooManyRequestsException/],
    [{ status: 500, name: 'InternalServiceErrorException', message: 'oops' }, 'server', true, /500/],
    [{ status: 403, name: 'AccessDeniedException', message: 'not authorized to perform ses:SendEmail' }, 'auth', false, /ses:SendEmail/],
  ])('classifies %j', async (script, reason, retryable, text) => {
    ses.failNext(script);
    const err = await failure(email({ subject: 's', text: 't' }));
    expect(err).toMatchObject({ reason, retryable, status: script.status, providerCode: script.name });
    expect(err.message).toMatch(text);
  });

  it('times out (retryable) when SES does not answer within the timeout', async () => {
    ses.failNext({ delayMs: 700 });
    const err = await failure(email({ subject: 's', text: 't' }), options({ timeout: '200ms' }));
    expect(err).toMatchObject({ reason: 'timeout', retryable: true });
  });

  it('fails retryable, without leaking anything, when nothing listens at the endpoint', async () => {
    const err = await failure(email({ subject: 's', text: 't' }), options({ endpoint: 'http://127.0.0.1:9' }));
    expect(err).toMatchObject({ reason: 'server', retryable: true });
    expect(err.cause).toBeUndefined();
    expect(err.message).not.toContain('ses-secret');
  });
});
