import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { Agent } from 'node:https';
import type SnsPayloadValidator from 'sns-payload-validator';
import type { Clock } from '../../clock.js';
import { parseDuration } from '../../config/duration.js';
import type { Logger } from '../../log/logger.js';
import type { PluginMetrics, WebhookHandler, WebhookRequest, WebhookResult } from '../../plugin-api.js';
import type { HttpClient } from '../http-client.js';
import { lazyImport } from '../lazy-import.js';

// Loaded with the first notification, like the SDKs: a gateway without SNS webhooks never needs it.
const validatorModule = lazyImport('sns-payload-validator', () => import('sns-payload-validator'));

/** The `sns` part of an AWS plugin's options. */
export interface SnsOptions {
  /** Topics whose messages are believed (and whose subscriptions are confirmed); any other is 403. */
  topicArns: readonly string[];
  /** A regular expression the whole `SigningCertURL` must match; the default admits only AWS's SNS hosts over HTTPS. */
  signingCertUrlPattern: string;
  /** A notification older than this is refused as a replay. */
  maxAge: string;
}

export const AWS_SIGNING_CERT_URL_PATTERN = '^https://sns\\.[a-zA-Z0-9-]{3,}\\.amazonaws\\.com(\\.cn)?/SimpleNotificationService-[a-zA-Z0-9]{32}\\.pem$';

/** The SNS envelope fields the gateway reads (HTTP delivery, not raw). */
export interface SnsEnvelope {
  Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  Subject?: string;
  SubscribeURL?: string;
  UnsubscribeURL?: string;
  Token?: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
}

export interface SnsReceiverDeps {
  http: HttpClient;
  clock: Clock;
  logger: Logger;
  metrics: PluginMetrics;
}

/** Turns a verified notification's `Message` into events; bad content is a 400 rejection, never a throw. */
export type SnsNotificationParser = (message: string, envelope: SnsEnvelope) => WebhookResult;

const TYPES = new Set(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']);
const REQUIRED = ['Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL'] as const;
// SNS clocks and ours may disagree a little; a timestamp further ahead than this is not believed.
const FUTURE_SKEW_MS = 5 * 60_000;
const MAX_CACHED_CERTS = 32;
const CERT_TIMEOUT_MS = 5000;

const reject = (status: 400 | 403, reason: string): WebhookResult => ({ ok: false, status, reason });

/** The library may only ever read certificates from its cache: this agent refuses every connection. */
class NoNetworkAgent extends Agent {
  override createConnection(): never {
    throw new Error('sns: certificates are fetched by the gateway, not the validator');
  }
}

/**
 * The name under which a certificate the gateway fetched and trusted is handed to
 * `sns-payload-validator`: the library checks URLs against AWS's own host pattern, which a local
 * fake trusted through `signingCertUrlPattern` cannot match. `SigningCertURL` is not part of the
 * signed text, so renaming it changes nothing the signature covers.
 */
const aliasOf = (url: string): string =>
  `https://sns.verified.amazonaws.com/SimpleNotificationService-${createHash('sha256').update(url).digest('hex').slice(0, 32)}.pem`;

function parseEnvelope(req: WebhookRequest): SnsEnvelope | string {
  if (req.headers['x-amz-sns-rawdelivery'] === 'true') return 'the subscription has raw message delivery on, so SNS sends no signature: turn RawMessageDelivery off';
  let data: unknown;
  try {
    data = JSON.parse(req.rawBody);
  } catch {
    return 'the body is not JSON (an SNS HTTP notification is expected; raw message delivery cannot be verified)';
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'the body is not an SNS message object';
  const fields = data as Record<string, unknown>;
  const missing = REQUIRED.filter((k) => typeof fields[k] !== 'string');
  if (missing.length > 0) return `an SNS message needs ${missing.join(', ')}`;
  if (!TYPES.has(fields.Type as string)) return `unknown SNS message type "${String(fields.Type)}"`;
  if (fields.Type !== 'Notification' && typeof fields.SubscribeURL !== 'string') return `a ${String(fields.Type)} needs SubscribeURL`;
  const headerType = req.headers['x-amz-sns-message-type'];
  if (typeof headerType === 'string' && headerType !== fields.Type) return 'x-amz-sns-message-type does not match the body';
  return data as SnsEnvelope;
}

/**
 * The SNS HTTP(S) endpoint every AWS plugin answers at `/webhooks/<instance>/sns`: parses the
 * envelope, refuses unknown topics, untrusted certificate URLs and stale timestamps (403), checks
 * the signature (v1 SHA1 and v2 SHA256) with `sns-payload-validator` against the certificate it
 * fetched once and cached, confirms subscriptions of listed topics, and hands notifications to the
 * plugin's parser. A repeated `MessageId` carries the same events, which the core records once.
 *
 * @example
 *   const sns = createSnsReceiver(options.sns, deps);
 *   webhooks: { sns: (req) => sns(req, (message) => parseSesEvent(message)) }
 */
export function createSnsReceiver(options: SnsOptions, deps: SnsReceiverDeps) {
  const topics = new Set(options.topicArns);
  const certPattern = new RegExp(options.signingCertUrlPattern);
  const maxAgeMs = parseDuration(options.maxAge) ?? 3_600_000;
  let validatorLoad: Promise<SnsPayloadValidator> | undefined;
  const loadValidator = () => (validatorLoad ??= validatorModule().then(
    ({ default: Validator }) => new Validator({ useCache: true, maxCerts: MAX_CACHED_CERTS, requestAgent: new NoNetworkAgent() }),
    (err: unknown) => {
      validatorLoad = undefined;
      throw err;
    },
  ));
  const certs = new Map<string, Promise<KeyObject>>();

  function certificate(url: string): Promise<KeyObject> {
    let pending = certs.get(url);
    if (!pending) {
      pending = deps.metrics.time('sns_certificate', () => deps.http.requestOk(url, { timeoutMs: CERT_TIMEOUT_MS })).then((res) => {
        if (!res.text.includes('-----BEGIN CERTIFICATE-----')) throw new Error('the signing certificate URL did not answer with a PEM certificate');
        // Parsed once: handed a PEM, every verification would parse the certificate again (most of its cost).
        return createPublicKey(res.text);
      });
      // A failed fetch is forgotten, so the next notification tries again.
      pending.catch(() => certs.delete(url));
      if (certs.size >= MAX_CACHED_CERTS) certs.delete(certs.keys().next().value!);
      certs.set(url, pending);
    }
    return pending;
  }

  async function signatureValid(validator: SnsPayloadValidator, envelope: SnsEnvelope, key: KeyObject): Promise<boolean> {
    const alias = aliasOf(envelope.SigningCertURL);
    // The library hands its cached value to crypto's `verify`, which takes a public key as well as a PEM.
    (validator as unknown as { certCache: { set(k: string, v: KeyObject): void } }).certCache.set(alias, key);
    try {
      await validator.validate({ ...envelope, SigningCertURL: alias } as unknown as SnsPayloadValidator.SnsPayload);
      return true;
    } catch {
      return false;
    }
  }

  async function confirm(envelope: SnsEnvelope): Promise<WebhookResult> {
    try {
      await deps.metrics.time('sns_confirm_subscription', () => deps.http.requestOk(envelope.SubscribeURL!, { timeoutMs: CERT_TIMEOUT_MS }));
      deps.logger.info({ topicArn: envelope.TopicArn }, 'sns: subscription confirmed');
      return { ok: true, events: [] };
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message, topicArn: envelope.TopicArn }, 'sns: confirming the subscription failed; SNS will send the confirmation again');
      return { ok: true, events: [], reply: { status: 502, contentType: 'text/plain', body: 'subscription confirmation failed' } };
    }
  }

  return async function receive(req: WebhookRequest, parse: SnsNotificationParser): Promise<WebhookResult> {
    const envelope = parseEnvelope(req);
    if (typeof envelope === 'string') return reject(400, envelope);
    if (!topics.has(envelope.TopicArn)) return reject(403, `topic ${envelope.TopicArn} is not one of this instance's sns.topicArns`);
    if (!certPattern.test(envelope.SigningCertURL)) return reject(403, 'SigningCertURL is not a trusted SNS certificate URL (see sns.signingCertUrlPattern)');
    const sentAt = Date.parse(envelope.Timestamp);
    if (Number.isNaN(sentAt)) return reject(400, 'Timestamp is not a date');
    const now = deps.clock.now();
    if (now - sentAt > maxAgeMs || sentAt - now > FUTURE_SKEW_MS) return reject(403, `Timestamp ${envelope.Timestamp} is outside sns.maxAge (${options.maxAge}): a replay or a stale message`);
    let key: KeyObject;
    let validator: SnsPayloadValidator;
    try {
      validator = await loadValidator();
    } catch (err) {
      deps.logger.error({ err: (err as Error).message }, 'sns: the signature validator could not be loaded');
      return { ok: true, events: [], reply: { status: 503, contentType: 'text/plain', body: 'signature validator unavailable' } };
    }
    try {
      key = await certificate(envelope.SigningCertURL);
    } catch (err) {
      // Our side cannot check it now; a 5xx makes SNS deliver it again later.
      deps.logger.warn({ err: (err as Error).message }, 'sns: the signing certificate could not be fetched');
      return { ok: true, events: [], reply: { status: 503, contentType: 'text/plain', body: 'signing certificate unavailable' } };
    }
    if (!(await signatureValid(validator, envelope, key))) return reject(403, 'the SNS signature does not verify');
    if (envelope.Type === 'SubscriptionConfirmation') return confirm(envelope);
    if (envelope.Type === 'UnsubscribeConfirmation') {
      deps.logger.info({ topicArn: envelope.TopicArn }, 'sns: the subscription was removed (UnsubscribeConfirmation); ignored');
      return { ok: true, events: [] };
    }
    try {
      return parse(envelope.Message, envelope);
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, 'sns: a notification could not be parsed');
      return reject(400, 'the notification message could not be parsed');
    }
  };
}

export type SnsReceiver = ReturnType<typeof createSnsReceiver>;

/**
 * The webhooks of an AWS plugin instance: `sns` when its options configure SNS, none otherwise
 * (so `/webhooks/<instance>/sns` is a 404 for an instance that expects no notifications).
 */
export function snsWebhooks(options: SnsOptions | undefined, deps: SnsReceiverDeps, parse: SnsNotificationParser): Readonly<Record<string, WebhookHandler>> {
  if (!options) return Object.freeze({});
  const receive = createSnsReceiver(options, deps);
  return Object.freeze({ sns: (req: WebhookRequest) => receive(req, parse) });
}
