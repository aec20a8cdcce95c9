/**
 * Run as its own process (`node --import tsx`): sends one message through the Twilio plugin to the
 * fake, then prints whether promise hooks are on, before and after, and once an
 * AsyncLocalStorage ran (the probe's control).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createTwilioProvider, type TwilioOptions } from '../../plugins/twilio/index.js';
import { startTwilioFake } from '../fakes/twilio-fake.js';
import { pluginDeps } from './plugin-deps.js';
import { promiseHooksOn } from './promise-hooks.js';

const fake = await startTwilioFake();
const provider = createTwilioProvider(Object.freeze({
  accountSid: `AC${'0123456789abcdef'.repeat(2)}`, authToken: 'twilio-test-auth-token', from: '+15550001111',
  channels: ['sms'], baseUrl: fake.url, timeout: '2s',
} satisfies TwilioOptions), pluginDeps('twilio-us'));
const before = await promiseHooksOn();
const receipt = await provider.send({ attemptId: 'att-1', messageId: 'msg-1', channel: 'sms', to: '+15550002222', content: { text: 'Hello' } }, { signal: new AbortController().signal });
const after = await promiseHooksOn();
new AsyncLocalStorage().run(1, () => undefined);
const control = await promiseHooksOn();
await provider.close?.();
await fake.close();
process.stdout.write(JSON.stringify({ sent: receipt.providerMessageId, before, after, control }));
