import { describe, expect, it, vi } from 'vitest';
import { bandwidthPlugin } from '../../plugins/bandwidth/index.js';
import { smtpPlugin } from '../../plugins/smtp/index.js';
import { twilioPlugin } from '../../plugins/twilio/index.js';
import { createAjv } from '../../src/config/ajv.js';
import { ProviderError, type OutboundMessage, type PluginDefinition, type Provider } from '../../src/plugin-api.js';
import { pluginDeps } from '../helpers/plugin-deps.js';

// Every SDK these plugins load on first use is missing here, as after a broken install.
const { missing } = vi.hoisted(() => ({
  missing: (name: string) => () => {
    throw new Error(`Cannot find package '${name}'`);
  },
}));
vi.mock('twilio', missing('twilio'));
vi.mock('twilio/lib/webhooks/webhooks.js', missing('twilio'));
vi.mock('bandwidth-sdk', missing('bandwidth-sdk'));
vi.mock('nodemailer', missing('nodemailer'));

/** An instance built as the runtime builds it: options validated with defaults, frozen. */
function instance<O>(plugin: PluginDefinition<O>, raw: Record<string, unknown>): Provider {
  const options = structuredClone(raw);
  const validate = createAjv().compile(plugin.optionsSchema);
  if (!validate(options)) throw new Error(JSON.stringify(validate.errors));
  return plugin.create(Object.freeze(options) as O, pluginDeps('p'));
}

const sms: OutboundMessage = { attemptId: 'att-1', messageId: 'msg-1', channel: 'sms', to: '+15557654321', content: { text: 'Hi' } };
const email: OutboundMessage = { attemptId: 'att-2', messageId: 'msg-2', channel: 'email', to: 'ann@example.org', content: { subject: 'Hi', text: 'Hello' } };

async function failure(provider: Provider, message: OutboundMessage): Promise<ProviderError> {
  const err = await provider.send(message, { signal: new AbortController().signal }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('a provider SDK that cannot be loaded', () => {
  it('is no obstacle to building the instance: the config loads, and only sends fail', () => {
    expect(() => instance(twilioPlugin, { accountSid: `AC${'0'.repeat(32)}`, authToken: 'tok', from: '+15550001111' })).not.toThrow();
  });

  it.each([
    ['twilio', () => instance(twilioPlugin, { accountSid: `AC${'0'.repeat(32)}`, authToken: 'tok', from: '+15550001111', baseUrl: 'http://127.0.0.1:9' }), sms],
    ['bandwidth-sdk', () => instance(bandwidthPlugin, { accountId: '9900000', applicationId: 'app-1', username: 'u', password: 'p', from: '+15550001111', baseUrl: 'http://127.0.0.1:9' }), sms],
    ['nodemailer', () => instance(smtpPlugin, { host: '127.0.0.1', port: 9, from: 'gw@example.com', starttls: 'never' }), email],
  ] as const)('fails the send with a retryable ProviderError naming %s, send after send', async (name, make, message) => {
    const provider = make();
    for (let i = 0; i < 2; i += 1) {
      const err = await failure(provider, message);
      // vitest words the loader's error its own way; the package named is what an operator needs.
      expect(err.message.startsWith(`the ${name} package could not be loaded: `), err.message).toBe(true);
      expect(err.reason).toBe('server');
      expect(err.retryable).toBe(true);
    }
    await provider.close?.();
  });

  it('makes a Twilio callback throw with that reason (the core answers and logs it), not pass or fail verification', async () => {
    const provider = instance(twilioPlugin, { accountSid: `AC${'0'.repeat(32)}`, authToken: 'tok', from: '+15550001111' });
    const req = { method: 'POST', url: 'https://gw.example.com/webhooks/p/status', headers: { 'x-twilio-signature': 'x' }, query: {}, rawBody: 'MessageSid=SM1&MessageStatus=sent', body: { MessageSid: 'SM1', MessageStatus: 'sent' } };
    await expect(Promise.resolve(provider.webhooks!.status(req))).rejects.toThrow(/^the twilio package could not be loaded: /);
  });
});
