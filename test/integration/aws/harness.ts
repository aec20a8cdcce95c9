/**
 * The AWS stack end to end: the gateway in process (supertest) with the real AWS SDK clients
 * talking to the SES / End User Messaging fakes, and SNS notifications signed by the SNS fake and
 * posted into `/webhooks/<instance>/sns`.
 */
import { expect } from 'vitest';
import type { Message } from '../../../src/model.js';
import { startSesFake, type SesFake } from '../../fakes/aws/ses-fake.js';
import { startSmsFake, type SmsFake } from '../../fakes/aws/sms-fake.js';
import { startSnsFake, type SnsEnvelope, type SnsFake } from '../../fakes/aws/sns-fake.js';
import { startWhatsAppFake, type WhatsAppFake } from '../../fakes/aws/whatsapp-fake.js';
import { API_KEY, configText, eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';

export const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:switchboard-events';
export const SECRET_KEY = 'aws-secret-access-key-int-4f9a1c';
export const CUSTOMER_EMAIL = 'ann@example.com';
export const CUSTOMER_PHONE = '+15557654321';
export const SMS_FROM = '+15550002222';
export const WA_FROM = '+15550001111';
export const WA_PHONE_ID = `phone-number-id-${'9f8e7d6c'.repeat(4)}`;

export interface AwsHarness {
  gw: TestGateway;
  ses: SesFake;
  sms: SmsFake;
  wa: WhatsAppFake;
  sns: SnsFake;
  /** Signs and posts one SNS envelope into an instance's `sns` webhook. */
  post(instance: string, envelope: SnsEnvelope): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

const connection = (endpoint: string) =>
  `region: eu-west-1, accessKeyId: AKIDAWSTEST0000000, secretAccessKey: "\${env:AWS_SECRET}", endpoint: "${endpoint}", timeout: 2s`;

// gateway.yaml needs a route; a test of the omnichannel API (inline plans) needs no other.
const MOCK_ROUTE = 'routes: { mock-sms: { steps: [{ channel: sms, providers: [sms] }] } }';

/**
 * `routes` and `extra` (top-level sections such as `compat`) are the test's; the AWS instances
 * (`ses`, `aws-sms`, `aws-wa`, each trusting the SNS fake) and a delivering mock `sms` are the harness's.
 */
export async function startAwsHarness(routes = MOCK_ROUTE, extra = '', apiScopes = '[send, read, admin]'): Promise<AwsHarness> {
  const [ses, sms, wa, sns] = await Promise.all([startSesFake(), startSmsFake(), startWhatsAppFake(), startSnsFake()]);
  const trust = `sns: { topicArns: ["${TOPIC}"], signingCertUrlPattern: '${sns.certUrlPattern}' }`;
  const gw = await startGateway(configText(`
providers:
  ses: { plugin: ses, ${connection(ses.url)}, from: "Shop <no-reply@shop.example>", configurationSet: shop-events, ${trust} }
  aws-sms: { plugin: aws-sms, ${connection(sms.url)}, originationIdentity: "${SMS_FROM}", configurationSet: sms-events, ${trust} }
  aws-wa: { plugin: aws-whatsapp, ${connection(wa.url)}, originationPhoneNumberId: ${WA_PHONE_ID}, from: "${WA_FROM}", ${trust} }
  sms: { plugin: mock, channels: [sms], outcome: delivered, after: 0s }
${routes}
`, `retry: { initial: 10ms, max: 20ms, attempts: 3 }\n${extra}`).replace('scopes: [send, read, admin]', `scopes: ${apiScopes}`), { env: { AWS_SECRET: SECRET_KEY } });
  return {
    gw, ses, sms, wa, sns,
    async post(instance, envelope) {
      const res = await gw.request.post(`/webhooks/${instance}/sns`).set(sns.headers(envelope)).send(sns.body(envelope));
      return { status: res.status, body: res.body };
    },
    async close() {
      await gw.close();
      await Promise.all([ses.close(), sms.close(), wa.close(), sns.close()]);
    },
  };
}

export async function sendMessage(h: AwsHarness, body: Record<string, unknown>): Promise<string> {
  const res = await h.gw.request.post('/v1/messages').set('x-api-key', API_KEY).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id as string;
}

/** Polls the message until `check` passes. */
export function waitFor(h: AwsHarness, id: string, check: (m: Message) => void): Promise<Message> {
  return eventually(async () => {
    const m = (await h.gw.request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY)).body as Message;
    check(m);
    return m;
  });
}

export const metricsText = async (h: AwsHarness): Promise<string> => (await h.gw.request.get('/metrics')).text;
