/**
 * A local fake of Amazon SNS's HTTP(S) delivery: it generates an RSA key and a self-signed
 * certificate, serves the certificate at a `SimpleNotificationService-<32 hex>.pem` URL and a
 * `SubscribeURL` that records confirmations, signs notifications exactly as SNS does (signature
 * version 1 = SHA1withRSA, 2 = SHA256withRSA) and can post them to the gateway.
 *
 * @example
 *   const sns = await startSnsFake();
 *   // plugin options: sns: { topicArns: [TOPIC], signingCertUrlPattern: sns.certUrlPattern }
 *   const envelope = sns.notification(TOPIC, { eventType: 'Delivery', mail: { messageId } });
 *   await request.post('/webhooks/ses/sns').set(sns.headers(envelope)).send(sns.body(envelope));
 */
import { createHash, randomBytes, randomUUID, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import type { SnsEnvelope } from '../../../src/plugin-api.js';
import { closeServer, postStatus } from '../fake-server.js';

export type { SnsEnvelope };

export interface SignOptions {
  signatureVersion?: '1' | '2';
  /** Default: now. */
  timestamp?: Date;
  subject?: string;
  messageId?: string;
}

export interface SnsFake {
  url: string;
  certUrl: string;
  /** A `signingCertUrlPattern` that trusts exactly this fake's certificate URL. */
  certUrlPattern: string;
  /** Tokens of the SubscribeURLs the gateway called, in order. */
  confirmations: string[];
  /** How many times the certificate was downloaded. */
  certDownloads(): number;
  notification(topicArn: string, message: unknown, options?: SignOptions): SnsEnvelope;
  subscriptionConfirmation(topicArn: string, options?: SignOptions): SnsEnvelope;
  unsubscribeConfirmation(topicArn: string, options?: SignOptions): SnsEnvelope;
  /** The body SNS posts (`text/plain` JSON). */
  body(envelope: SnsEnvelope): string;
  /** The headers SNS posts with it. */
  headers(envelope: SnsEnvelope): Record<string, string>;
  /** Posts an envelope to `url` like SNS does; resolves with the answer's status. */
  post(url: string, envelope: SnsEnvelope): Promise<number>;
  close(): Promise<void>;
}

const NOTIFICATION_KEYS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const SUBSCRIPTION_KEYS = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const;

/** AWS's string to sign: `key\nvalue\n` for each present key, in the documented order. */
function stringToSign(envelope: Omit<SnsEnvelope, 'Signature'>): string {
  const keys = envelope.Type === 'Notification' ? NOTIFICATION_KEYS : SUBSCRIPTION_KEYS;
  const fields = envelope as unknown as Record<string, string | undefined>;
  return keys.filter((k) => fields[k] !== undefined).map((k) => `${k}\n${fields[k]}\n`).join('');
}

// One key per test process: generating it is the slow part, and each fake still serves it at its own URL.
let keyPair: ReturnType<typeof generate> | undefined;

export async function startSnsFake(): Promise<SnsFake> {
  keyPair ??= generate([{ name: 'commonName', value: 'sns.fake.test' }], { keySize: 2048, algorithm: 'sha256' });
  const pems = await keyPair;
  const confirmations: string[] = [];
  let downloads = 0;
  const certName = `SimpleNotificationService-${createHash('md5').update(pems.cert).digest('hex')}.pem`;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method === 'GET' && url.pathname === `/${certName}`) {
      downloads += 1;
      return res.writeHead(200, { 'content-type': 'application/x-x509-ca-cert' }).end(pems.cert);
    }
    if (req.method === 'GET' && url.pathname === '/confirm') {
      confirmations.push(url.searchParams.get('Token') ?? '');
      return res.writeHead(200, { 'content-type': 'text/xml' }).end('<ConfirmSubscriptionResponse/>');
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const certUrl = `${base}/${certName}`;

  function signed(unsigned: Omit<SnsEnvelope, 'Signature' | 'SignatureVersion' | 'SigningCertURL'>, options: SignOptions): SnsEnvelope {
    const version = options.signatureVersion ?? '1';
    const envelope = { ...unsigned, SignatureVersion: version, SigningCertURL: certUrl };
    const signature = sign(version === '1' ? 'sha1' : 'sha256', Buffer.from(stringToSign(envelope)), pems.private).toString('base64');
    return { ...envelope, Signature: signature };
  }

  function subscription(type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation', topicArn: string, options: SignOptions): SnsEnvelope {
    const token = randomBytes(32).toString('hex');
    return signed({
      Type: type,
      MessageId: options.messageId ?? randomUUID(),
      Token: token,
      TopicArn: topicArn,
      Message: `You have chosen to subscribe to the topic ${topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
      SubscribeURL: `${base}/confirm?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topicArn)}&Token=${token}`,
      Timestamp: (options.timestamp ?? new Date()).toISOString(),
    }, options);
  }

  const fake: SnsFake = {
    url: base,
    certUrl,
    certUrlPattern: `^${certUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
    confirmations,
    certDownloads: () => downloads,
    notification(topicArn, message, options = {}) {
      return signed({
        Type: 'Notification',
        MessageId: options.messageId ?? randomUUID(),
        TopicArn: topicArn,
        ...(options.subject !== undefined ? { Subject: options.subject } : {}),
        Message: typeof message === 'string' ? message : JSON.stringify(message),
        Timestamp: (options.timestamp ?? new Date()).toISOString(),
        UnsubscribeURL: `${base}/unsubscribe`,
      }, options);
    },
    subscriptionConfirmation: (topicArn, options = {}) => subscription('SubscriptionConfirmation', topicArn, options),
    unsubscribeConfirmation: (topicArn, options = {}) => subscription('UnsubscribeConfirmation', topicArn, options),
    body: (envelope) => JSON.stringify(envelope),
    headers: (envelope) => ({
      'content-type': 'text/plain; charset=UTF-8',
      'x-amz-sns-message-type': envelope.Type,
      'x-amz-sns-message-id': envelope.MessageId,
      'x-amz-sns-topic-arn': envelope.TopicArn,
      'user-agent': 'Amazon Simple Notification Service Agent',
    }),
    post: (url, envelope) => postStatus(url, fake.headers(envelope), fake.body(envelope)),
    close: () => closeServer(server),
  };
  return fake;
}
