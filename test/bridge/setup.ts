/** A Twilio SMS ⇄ Avaya Infinity bridge on the local fakes, and the requests each side sends. */
import { avayaProviderYaml, signEvent, type AvayaFake } from '../fakes/avaya-fake.js';
import { inboundParams, inboundRequest, type TwilioFake } from '../fakes/twilio-fake.js';
import { configText, type TestGateway } from '../helpers/gateway.js';

export const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
export const AUTH_TOKEN = 'twilio-test-auth-token';
export const WEBHOOK_SECRET = 'avaya-webhook-secret-0123';
export const PUBLIC = 'https://gw.example.test';
export const BUSINESS = '+15557654321';
export const CUSTOMER = '+15551230000';

/** The config: Twilio on the business number, Avaya as the contact center, one bridge and its inbound rule. */
export function bridgeConfig(twilio: TwilioFake, avaya: AvayaFake, replySteps = '      - { channel: sms, providers: [twilio-us], until: accepted, within: 30s }'): string {
  return configText(`
providers:
  twilio-us: { plugin: twilio, accountSid: "${ACCOUNT_SID}", authToken: "${AUTH_TOKEN}", from: "${BUSINESS}", baseUrl: "${twilio.url}", timeout: 2s }
${avayaProviderYaml(avaya, WEBHOOK_SECRET, '    timeout: 2s\n')}routes:
  agent-replies:
    steps:
${replySteps}
bridges:
  support:
    contactCenter: avaya
    numbers: ["${BUSINESS}"]
    reply: { route: agent-replies }
inbound:
  - match: { provider: twilio-us, to: "${BUSINESS}" }
    bridge: support
`, 'retry: { initial: 50ms, max: 100ms, attempts: 3 }', { server: `{ host: 127.0.0.1, port: 0, publicUrl: "${PUBLIC}" }`, callbacks: 'maxAge: 1s' });
}

/** A customer's SMS to the business number, as Twilio posts it (signed). */
export function postCustomerSms(gw: TestGateway, text: string) {
  const signed = inboundRequest({ url: `${PUBLIC}/webhooks/twilio-us/inbound`, authToken: AUTH_TOKEN, params: inboundParams({ from: CUSTOMER, to: BUSINESS, body: text, accountSid: ACCOUNT_SID }) });
  return gw.request.post('/webhooks/twilio-us/inbound').set(signed.headers).type('form').send(signed.body);
}

/** An Avaya event, signed with the webhook secret. */
export function postAgentEvent(gw: TestGateway, event: Record<string, unknown>) {
  const { rawBody, signature } = signEvent(WEBHOOK_SECRET, event);
  return gw.request.post('/webhooks/avaya/events').set('content-type', 'application/json').set('x-avaya-event-signature', signature).send(rawBody);
}

/** The messages Twilio was asked to send. */
export const twilioSends = (twilio: TwilioFake) => twilio.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Messages.json'));
