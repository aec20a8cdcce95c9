/**
 * `examples/self-hosted.yaml` as a new user runs it, pointed at the fakes: the Graph API fake for
 * WhatsApp, the Twilio wire fake for SMS and a real SMTP server for email. Only what a user sets
 * changes: the environment variables, and in the file the SMTP port and the relay's CA.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type supertest from 'supertest';
import { expect } from 'vitest';
import type { Message } from '../../src/model.js';
import { startSmtpFake, type SmtpFake } from '../fakes/smtp-fake.js';
import { startTwilioFake, type TwilioFake } from '../fakes/twilio-fake.js';
import { startWhatsAppCloudFake, type WhatsAppCloudFake } from '../fakes/whatsapp-cloud-fake.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

export const EXAMPLE = join(process.cwd(), 'examples', 'self-hosted.yaml');
export const API_KEY = 'self-hosted-api-key-0123';
export const VERIFY_TOKEN = 'meta-verify-token-0123';
export const USER = '+15551234567';
export const ACCOUNT_SID = `AC${'5e1f0057'.repeat(4)}`;
export const AUTH_TOKEN = 'twilio-self-hosted-token';
export const TWILIO_NUMBER = '+15550009999';

/** The example's variables with real-looking values; `urls` point the providers at fakes. */
export function exampleEnv(urls: { graph?: string; twilio?: string; smtpHost?: string } = {}, fakes?: { meta: WhatsAppCloudFake; smtp: SmtpFake }): Record<string, string> {
  return {
    WHATSAPP_PHONE_NUMBER_ID: fakes?.meta.phoneNumberId ?? '106540352242922',
    WHATSAPP_ACCESS_TOKEN: fakes?.meta.accessToken ?? 'EAAG-example-access-token',
    WHATSAPP_APP_SECRET: fakes?.meta.appSecret ?? 'example-app-secret',
    WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_PHONE_NUMBER: TWILIO_NUMBER,
    SMTP_HOST: urls.smtpHost ?? 'smtp.example.com',
    SMTP_USER: fakes?.smtp.user ?? 'gateway',
    SMTP_PASSWORD: fakes?.smtp.pass ?? 'example-smtp-password',
    SWITCHBOARD_API_KEY: API_KEY,
    SWITCHBOARD_CALLBACK_SECRET: 'example-callback-secret-0123',
    ...(urls.graph ? { WHATSAPP_GRAPH_URL: urls.graph } : {}),
    ...(urls.twilio ? { TWILIO_API_URL: urls.twilio } : {}),
  };
}

export interface SelfHosted {
  gw: TestGateway;
  meta: WhatsAppCloudFake;
  twilio: TwilioFake;
  smtp: SmtpFake;
  close(): Promise<void>;
}

export async function startSelfHosted(): Promise<SelfHosted> {
  const [meta, twilio, smtp] = await Promise.all([
    startWhatsAppCloudFake(),
    startTwilioFake({ credentials: { username: ACCOUNT_SID, password: AUTH_TOKEN } }),
    startSmtpFake(),
  ]);
  const doc = parseDocument(readFileSync(EXAMPLE, 'utf8'));
  doc.setIn(['providers', 'mail', 'port'], smtp.port);
  doc.setIn(['providers', 'mail', 'tls'], { ca: smtp.ca });
  const gw = await startGateway(doc.toString(), { env: exampleEnv({ graph: meta.url, twilio: twilio.url, smtpHost: '127.0.0.1' }, { meta, smtp }) });
  return {
    gw, meta, twilio, smtp,
    async close() {
      await gw.close();
      await Promise.all([meta.close(), twilio.close(), smtp.close()]);
    },
  };
}

type Request = ReturnType<typeof supertest>;

export async function send(request: Request, content: object = { subject: 'Your order', text: 'Your order shipped.' }): Promise<string> {
  const res = await request.post('/v1/messages').set('x-api-key', API_KEY).send({ route: 'notify', to: { whatsapp: USER, sms: USER, email: 'ann@example.org' }, content });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id as string;
}

export async function get(request: Request, id: string): Promise<Message> {
  return (await request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY).expect(200)).body as Message;
}

/** Posts a delivery signed as Meta signs it to the example's WhatsApp instance. */
export async function postSigned(sh: SelfHosted, body: string, secret?: string) {
  const signed = sh.meta.signed(body, secret);
  return sh.gw.request.post('/webhooks/whatsapp/events').set(signed.headers).send(signed.body);
}
