/**
 * A provider that refuses free-form content as outside the WhatsApp window (Twilio 63016, Meta
 * 131047) raises `outside_window`: the step fails and the route goes on, and the pair's window is
 * closed, so the next free-form message to that user is held with an opt-in template instead.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError, type PluginDefinition } from '../../src/plugin-api.js';
import { builtinsWith } from '../helpers/builtins.js';
import { configText, eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { BUSINESS, get, optIns, own, reply, send, withBusiness } from './setup.js';

/** Sends templates; refuses text as Meta does outside the window, with the signal. */
const refusing: PluginDefinition<{ from: string }> = {
  name: 'refusing',
  optionsSchema: { type: 'object', additionalProperties: false, required: ['from'], properties: { from: { type: 'string' } } },
  channels: () => ['whatsapp'],
  create: () => {
    let n = 0;
    return {
      async send(message) {
        if (!message.content.template) throw new ProviderError('outside the 24-hour window', { reason: 'client', providerCode: '63016', signal: 'outside_window' });
        return { providerMessageId: `refusing-${++n}`, status: 'sent' };
      },
    };
  },
};

let gw: TestGateway;

beforeEach(async () => {
  gw = await startGateway(configText(`
providers:
  wa: { plugin: mock, channels: [whatsapp], from: "${BUSINESS}", outcome: none }
  strict: { plugin: refusing, from: "${BUSINESS}" }
  sms: { plugin: mock, channels: [sms], outcome: delivered, after: 0s }
consent:
  optin: { hold: 2h, optIn: { default: { name: reconnect, language: en } } }
routes:
  notify:
    steps:
      - { channel: whatsapp, providers: [strict], consent: optin, until: sent, within: 30s }
      - { channel: sms, providers: [sms], until: delivered, within: 30s }
`), { builtins: builtinsWith(refusing) });
});
afterEach(async () => {
  await gw.close();
});

describe('the outside_window signal', () => {
  it('closes the window the gateway believed open, so the next message is held', { timeout: 60_000 }, async () => {
    const user = '+15555550001';
    await reply(gw.request, user);
    expect((await withBusiness(gw.request, user)).window.open).toBe(true);
    const refused = await send(gw.request, user);
    const m = await eventually(async () => {
      const got = await get(gw.request, refused);
      expect(got.status).toBe('delivered');
      return got;
    }, 15_000);
    expect(own(m).map((a) => [a.channel, a.errorCode ?? a.status])).toEqual([['whatsapp', '63016'], ['sms', 'delivered']]);
    expect((await withBusiness(gw.request, user)).window).toEqual({ open: false, closesAt: null });

    const next = await send(gw.request, user);
    const held = await eventually(async () => {
      const got = await get(gw.request, next);
      expect(got.status).toBe('held');
      expect(optIns(got)[0]?.status).toBe('sent');
      return got;
    }, 15_000);
    expect(own(held)).toHaveLength(0);
  });
});
