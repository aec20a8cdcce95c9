/**
 * The consent tests' gateway: WhatsApp through a mock with a business number (`from`), SMS after
 * it, and two policies (fall back after 2 h; expire after 1 h). Shared by the file-store,
 * PostgreSQL and daemon tests so each runs the same flow on its own store.
 */
import { expect } from 'vitest';
import type { Message } from '../../src/model.js';
import { API_KEY, configText } from '../helpers/gateway.js';
import type supertest from 'supertest';

export const BUSINESS = '+15550000001';

/** `hold`/`strictHold` shortened for tests on real time; `wa` options (outcome, sendError) to vary the provider. */
export function consentConfig(options: { hold?: string; strictHold?: string; wa?: string } = {}): string {
  return configText(`
providers:
  wa: { plugin: mock, channels: [whatsapp], from: "${BUSINESS}", ${options.wa ?? 'outcome: delivered, after: 1s'} }
  wa-broken: { plugin: mock, channels: [whatsapp], from: "+15550000002", sendError: client }
  sms: { plugin: mock, channels: [sms], outcome: delivered, after: 1s }
consent:
  optin:
    window: 24h
    hold: ${options.hold ?? '2h'}
    optIn:
      default: { name: reconnect, language: en }
      es: { name: reconnect_es, language: es }
      pt: { name: reconnect_pt, language: pt }
      pt-BR: { name: reconnect_br, language: pt_BR }
    onExpiry: fallback
    lateReply: { text: "Sorry, the message we held for you has expired." }
  strict:
    hold: ${options.strictHold ?? '1h'}
    optIn: { default: { name: reconnect, language: en } }
    onExpiry: expire
routes:
  notify:
    steps:
      - { channel: whatsapp, providers: [wa], consent: optin, until: delivered, within: 30s }
      - { channel: sms, providers: [sms], until: delivered, within: 60s }
  strict:
    steps:
      - { channel: whatsapp, providers: [wa], consent: strict, until: delivered, within: 30s }
  broken:
    steps:
      - { channel: whatsapp, providers: [wa-broken], consent: optin, until: delivered, within: 30s }
      - { channel: sms, providers: [sms], until: delivered, within: 60s }
`);
}

type Request = ReturnType<typeof supertest>;

export async function send(request: Request, user: string, options: { route?: string; locale?: string; content?: object } = {}): Promise<string> {
  const res = await request.post('/v1/messages').set('x-api-key', API_KEY).send({
    route: options.route ?? 'notify', to: { phone: user }, content: options.content ?? { text: 'your order shipped' },
    ...(options.locale ? { locale: options.locale } : {}),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id as string;
}

/** The user writes to the business number on WhatsApp (the mock's inbound webhook). */
export async function reply(request: Request, user: string, text = 'hi', to = BUSINESS): Promise<void> {
  await request.post('/webhooks/wa/inbound').send({ from: `whatsapp:${user}`, to, text, channel: 'whatsapp' }).expect(200);
}

export async function get(request: Request, id: string): Promise<Message> {
  return (await request.get(`/v1/messages/${id}`).set('x-api-key', API_KEY).expect(200)).body as Message;
}

export async function consentOf(request: Request, user: string) {
  const res = await request.get(`/v1/consent/whatsapp/${encodeURIComponent(user)}`).set('x-api-key', API_KEY).expect(200);
  return res.body as { address: string; senders: Array<{ sender: string; providers: string[]; window: { open: boolean; closesAt: string | null }; held: number; lastOptIn: { template: string; sentAt: string; messageId: string } | null; lateReplyPending: boolean }> };
}

/** The consent state with the business number `wa` sends from. */
export const withBusiness = (request: Request, user: string) => withBusinessOf(request, user, BUSINESS);

/** The consent state with one business sender. */
export async function withBusinessOf(request: Request, user: string, sender: string) {
  const state = await consentOf(request, user);
  const found = state.senders.find((s) => s.sender === sender);
  expect(found).toBeDefined();
  return found!;
}

export const optIns = (m: Message) => m.attempts.filter((a) => a.purpose === 'optin');
export const own = (m: Message) => m.attempts.filter((a) => a.purpose !== 'optin');
