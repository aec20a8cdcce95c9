/**
 * A local fake of the SES v2 API's `SendEmail` (restJson1: `POST /v2/email/outbound-emails`), for
 * tests and benchmarks. Point `@aws-sdk/client-sesv2` at it with `endpoint: fake.url`.
 *
 * @example
 *   const ses = await startSesFake();
 *   ses.failNext({ status: 400, name: 'MessageRejected', message: 'Email address is not verified.' });
 *   ses.sent[0].body // → { FromEmailAddress, Destination: { ToAddresses }, Content, EmailTags, ConfigurationSetName }
 */
import { randomBytes } from 'node:crypto';
import { startSendFake, type AwsFake, type AwsRecordedRequest } from './fake-server.js';

export interface SentEmail {
  messageId: string;
  request: AwsRecordedRequest;
  body: {
    FromEmailAddress?: string;
    Destination?: { ToAddresses?: string[] };
    ReplyToAddresses?: string[];
    Content?: Record<string, unknown>;
    EmailTags?: { Name: string; Value: string }[];
    ConfigurationSetName?: string;
  };
}

export interface SesFake extends AwsFake {
  sent: SentEmail[];
}

export function startSesFake(): Promise<SesFake> {
  return startSendFake<SentEmail>('rest-json', (req) => req.method === 'POST' && req.path === '/v2/email/outbound-emails', (req) => {
    const body = (req.body ?? {}) as SentEmail['body'];
    if (!body.Content || !body.Destination) return { refuse: { status: 400, body: { __type: 'BadRequestException', message: 'Content and Destination are required' } } };
    const messageId = `0100${randomBytes(16).toString('hex')}-000000`;
    return { record: { messageId, request: req, body }, answer: { MessageId: messageId } };
  });
}
