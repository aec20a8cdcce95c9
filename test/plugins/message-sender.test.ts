import { afterEach, describe, expect, it } from 'vitest';
import { bandwidthPlugin, createBandwidthProvider, type BandwidthOptions } from '../../plugins/bandwidth/index.js';
import { createAjv } from '../../src/config/ajv.js';
import { createTwilioProvider, type TwilioOptions } from '../../plugins/twilio/index.js';
import type { OutboundMessage } from '../../src/plugin-api.js';
import { startBandwidthFake, type BandwidthFake } from '../fakes/bandwidth-fake.js';
import { startTwilioFake, type TwilioFake } from '../fakes/twilio-fake.js';
import { pluginDeps } from '../helpers/plugin-deps.js';

const message = (overrides: Partial<OutboundMessage>): OutboundMessage => ({
  attemptId: 'att-1', messageId: 'msg-1', channel: 'sms', to: '+15550002222', content: { text: 'Hello' }, ...overrides,
});
const signal = () => new AbortController().signal;

// The message's own sender (a reply from the number the customer wrote to) wins over the instance's.
describe('a message that names its sender, through the real SDKs', () => {
  let twilio: TwilioFake | undefined;
  let bandwidth: BandwidthFake | undefined;
  afterEach(async () => {
    await twilio?.close();
    await bandwidth?.close();
    twilio = bandwidth = undefined;
  });

  it('twilio sends From the message\'s sender, on SMS and (prefixed) on WhatsApp', async () => {
    twilio = await startTwilioFake();
    const options = { accountSid: `AC${'0123456789abcdef'.repeat(2)}`, authToken: 'twilio-test-auth-token', from: '+15550001111', channels: ['whatsapp', 'sms', 'mms'], baseUrl: twilio.url, timeout: '2s' } as TwilioOptions;
    const provider = createTwilioProvider(Object.freeze(options), pluginDeps('twilio-us'));
    await provider.send(message({ from: '+15557654321' }), { signal: signal() });
    await provider.send(message({ channel: 'whatsapp', from: '+15557654321' }), { signal: signal() });
    await provider.send(message({}), { signal: signal() });
    expect(twilio.requests.map((r) => r.form.From)).toEqual(['+15557654321', 'whatsapp:+15557654321', '+15550001111']);
    await provider.close?.();
  });

  it('bandwidth sends from the message\'s sender', async () => {
    bandwidth = await startBandwidthFake({ tokenTtlSeconds: 120 });
    const options: Record<string, unknown> = {
      accountId: bandwidth.accountId, applicationId: 'app-123', clientId: bandwidth.clientId, clientSecret: bandwidth.clientSecret,
      from: '+15550001111', baseUrl: bandwidth.url, tokenUrl: bandwidth.tokenUrl, timeout: '2s',
    };
    // Defaults filled as the config loader fills them.
    expect(createAjv().compile(bandwidthPlugin.optionsSchema)(options)).toBe(true);
    const provider = createBandwidthProvider(Object.freeze(options) as unknown as BandwidthOptions, pluginDeps('bw'));
    await provider.send(message({ from: '+15557654321' }), { signal: signal() });
    await provider.send(message({}), { signal: signal() });
    expect(bandwidth.sent.map((s) => s.from)).toEqual(['+15557654321', '+15550001111']);
    await provider.close?.();
  });
});
