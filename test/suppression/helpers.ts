/**
 * Shared pieces of the suppression tests: a gateway of mock providers with business numbers, and
 * the calls a user (inbound webhooks) and an application (sends, reads) make.
 */
import { expect } from 'vitest';
import type { Message, SuppressionEntry } from '../../src/model.js';
import { API_KEY, configText, eventually, type TestGateway } from '../helpers/gateway.js';

export const USER = '+15557654321';
export const OTHER_USER = '+15557650000';
export const A_FROM = '+15550000001';
export const B_FROM = '+15550000002';
export const WA_FROM = '+15550000009';

export const REPLIES = `
suppression:
  replies:
    help: { text: "Acme alerts: reply STOP to opt out." }
    optOut: { text: "You are unsubscribed." }
    optIn: { text: "You are subscribed again." }
  providerConfirms: [sms-b]
`;

/**
 * sms-a (SMS and MMS from A_FROM), sms-b (SMS from B_FROM, confirms opt-outs itself), wa, mail.
 * Each route ends on email, so a skipped phone step shows as the route moving on.
 */
export function suppressionConfig(suppression = REPLIES): string {
  return configText(`
providers:
  sms-a: { plugin: mock, channels: [sms, mms], from: "${A_FROM}", outcome: delivered, after: 0s }
  sms-b: { plugin: mock, channels: [sms], from: "${B_FROM}", outcome: delivered, after: 0s }
  wa: { plugin: mock, channels: [whatsapp], from: "${WA_FROM}", outcome: delivered, after: 0s }
  mail: { plugin: mock, channels: [email], outcome: delivered, after: 0s }
routes:
  sms-a:
    steps:
      - { channel: sms, providers: [sms-a], until: delivered, within: 1m }
      - { channel: email, providers: [mail], until: delivered, within: 1m }
  mms-a:
    steps:
      - { channel: mms, providers: [sms-a], until: delivered, within: 1m }
      - { channel: email, providers: [mail], until: delivered, within: 1m }
  sms-b:
    steps:
      - { channel: sms, providers: [sms-b], until: delivered, within: 1m }
      - { channel: email, providers: [mail], until: delivered, within: 1m }
  wa-then-sms:
    steps:
      - { channel: whatsapp, providers: [wa], until: delivered, within: 1m }
      - { channel: sms, providers: [sms-a], until: delivered, within: 1m }
`, suppression);
}

/** A user's text to one of our numbers, through the mock instance's inbound webhook. */
export async function inbound(gw: TestGateway, instance: string, text: string, p: { from?: string; to?: string; channel?: string } = {}): Promise<void> {
  const to = p.to ?? (instance === 'sms-b' ? B_FROM : instance === 'wa' ? WA_FROM : A_FROM);
  await gw.request.post(`/webhooks/${instance}/inbound`).send({ from: p.from ?? USER, to, text, ...(p.channel ? { channel: p.channel } : {}) }).expect(200);
}

export async function send(gw: TestGateway, route: string, to: Record<string, string> = { phone: USER, email: 'user@example.com' }): Promise<string> {
  const res = await gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({ route, to, content: { text: 'Your order shipped' } }).expect(202);
  return res.body.id as string;
}

export async function get(gw: TestGateway, id: string): Promise<Message> {
  return (await gw.request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY).expect(200)).body as Message;
}

/** Waits until the message is done, and returns it. */
export function done(gw: TestGateway, id: string, timeoutMs = 8000): Promise<Message> {
  return eventually(async () => {
    const m = await get(gw, id);
    expect(m.completedAt).toBeDefined();
    return m;
  }, timeoutMs);
}

export async function entries(gw: TestGateway, query = ''): Promise<SuppressionEntry[]> {
  return (await gw.request.get(`/v1/suppressions${query}`).set('x-api-key', API_KEY).expect(200)).body.items as SuppressionEntry[];
}

/** Messages the gateway sent on its own (`system:<kind>`), newest first. */
export async function notices(gw: TestGateway, kind: string): Promise<Message[]> {
  return (await gw.request.get(`/v1/messages?route=${encodeURIComponent(`system:${kind}`)}`).set('x-api-key', API_KEY).expect(200)).body.items as Message[];
}

/** The channels of the steps that sent something, and the causes of the skipped ones. */
export function outline(m: Message): { sent: string[]; skipped: string[] } {
  return {
    sent: m.attempts.map((a) => a.channel),
    skipped: m.history.filter((h) => h.event === 'step_skipped').map((h) => h.cause ?? ''),
  };
}
