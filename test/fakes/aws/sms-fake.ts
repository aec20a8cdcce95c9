/**
 * A local fake of AWS End User Messaging SMS (pinpoint-sms-voice-v2, awsJson1_0: `POST /` with
 * `X-Amz-Target: PinpointSMSVoiceV2.SendTextMessage`). Point the SDK client at it with `endpoint`.
 *
 * @example
 *   const sms = await startSmsFake();
 *   sms.failNext({ status: 400, name: 'ConflictException', fields: { Reason: 'DESTINATION_PHONE_NUMBER_OPTED_OUT' } });
 *   sms.sent[0].body // → { DestinationPhoneNumber, OriginationIdentity, MessageBody, MessageType, Context, … }
 */
import { randomUUID } from 'node:crypto';
import { startSendFake, type AwsFake, type AwsRecordedRequest } from './fake-server.js';

export const SEND_TEXT_TARGET = 'PinpointSMSVoiceV2.SendTextMessage';

export interface SentText {
  messageId: string;
  request: AwsRecordedRequest;
  body: Record<string, unknown> & { DestinationPhoneNumber?: string; Context?: Record<string, string> };
}

export interface SmsFake extends AwsFake {
  sent: SentText[];
}

export function startSmsFake(): Promise<SmsFake> {
  return startSendFake<SentText>('json-1.0', (req) => req.method === 'POST' && req.path === '/' && req.headers['x-amz-target'] === SEND_TEXT_TARGET, (req) => {
    const body = (req.body ?? {}) as SentText['body'];
    if (typeof body.DestinationPhoneNumber !== 'string') {
      return { refuse: { status: 400, body: { __type: 'ValidationException', Message: 'DestinationPhoneNumber is required', Reason: 'MISSING_PARAMETER' } } };
    }
    const messageId = randomUUID();
    return { record: { messageId, request: req, body }, answer: { MessageId: messageId } };
  });
}
