import { parseDuration, readSchema, timedOut, withDeadline, type Channel, type PluginDefinition, type PluginDeps, type Provider } from '../../src/plugin-api.js';
import { createTwilioTransport, type TwilioTransport } from './client.js';
import { toProviderError } from './errors.js';
import { buildCreateParams, receiptDetails, type SendContext } from './send.js';
import { mapTwilioStatus } from './status-map.js';
import { createWebhookHandlers } from './webhooks.js';

export { TWILIO_STATUS_MAP, mapTwilioStatus } from './status-map.js';
export { OPTED_OUT_CODE, describeTwilioError } from './errors.js';

type TwilioChannel = Extract<Channel, 'whatsapp' | 'sms' | 'mms'>;

/**
 * One Twilio instance's section of `gateway.yaml`, validated against
 * `schemas/plugins/twilio.schema.json` (defaults applied) and frozen.
 *
 * @example
 *   { accountSid: 'AC…', authToken: '…', from: '+15550001111', channels: ['sms', 'whatsapp'], timeout: '10s' }
 */
export interface TwilioOptions {
  accountSid: string;
  /** REST auth (unless an API key is given) and the key for webhook signatures. */
  authToken?: string;
  apiKeySid?: string;
  apiKeySecret?: string;
  /** E.164 sender for SMS/MMS, and for WhatsApp (as `whatsapp:<from>`) unless `whatsappFrom` is set. */
  from?: string;
  whatsappFrom?: string;
  messagingServiceSid?: string;
  channels: TwilioChannel[];
  /** Replaces the `https://api.twilio.com` origin (regional endpoint, local fake). */
  baseUrl?: string;
  /** Public base of this instance's webhooks when Twilio reaches it by another URL than `server.publicUrl`. */
  webhookUrl?: string;
  timeout: string;
}

/** The channels these options can actually send on: each needs a sender. */
function usableChannels(options: TwilioOptions): TwilioChannel[] {
  const pool = options.messagingServiceSid !== undefined;
  return options.channels.filter((c) => pool || options.from !== undefined || (c === 'whatsapp' && options.whatsappFrom !== undefined));
}

/**
 * A Twilio Programmable Messaging provider: sends WhatsApp, SMS and MMS through the official SDK
 * (its HTTP client pointed at `baseUrl` when set) and answers the `inbound` and `status` webhooks.
 *
 * @example
 *   const provider = createTwilioProvider({ accountSid: 'AC…', authToken: '…', from: '+15550001111', channels: ['sms'], timeout: '10s' }, deps);
 *   const receipt = await provider.send(message, { signal }); // → { providerMessageId: 'SM…', status: 'queued', details: { segments: 1, encoding: 'GSM-7', … } }
 */
export function createTwilioProvider(options: TwilioOptions, deps: PluginDeps): Provider {
  const timeoutMs = parseDuration(options.timeout) ?? 10_000;
  // Parsed now, so a bad baseUrl is a config error rather than a failed send.
  const origin = options.baseUrl === undefined ? undefined : new URL(options.baseUrl).origin;
  // Built with the first send: the SDK loads then, and a failure to load fails that send.
  let transport: Promise<TwilioTransport> | undefined;
  const connect = () => (transport ??= createTwilioTransport(options, { origin, timeoutMs }).catch((err: unknown) => {
    transport = undefined;
    throw err;
  }));
  const ctx: SendContext = {
    channels: usableChannels(options),
    from: options.from,
    whatsappFrom: options.whatsappFrom,
    messagingServiceSid: options.messagingServiceSid,
  };
  const publicBase = options.webhookUrl?.replace(/\/+$/, '');
  if (options.authToken === undefined) {
    deps.logger.warn({ instance: deps.instance }, 'twilio: no authToken, so webhooks cannot be verified; no status callbacks are requested and inbound/status calls are refused');
  }

  function statusCallback(message: { statusCallbackUrl?: string }): string | undefined {
    if (options.authToken === undefined) return undefined;
    return publicBase !== undefined ? `${publicBase}/status` : (message.statusCallbackUrl ?? deps.webhookUrl('status'));
  }

  return {
    async send(message, { signal }) {
      const params = buildCreateParams(message, ctx, statusCallback(message));
      let deadline: AbortSignal | undefined;
      try {
        const { client, withSignal } = await connect();
        const created = await withDeadline(timeoutMs, (bounded) => {
          deadline = bounded;
          return withSignal(bounded, () => client.messages.create(params));
        }, signal);
        return {
          providerMessageId: created.sid,
          status: mapTwilioStatus(created.status) ?? 'queued',
          details: receiptDetails(message.channel, params, created.status),
        };
      } catch (err) {
        throw toProviderError(err, { timedOut: deadline !== undefined && timedOut(deadline), aborted: signal.aborted, timeoutMs });
      }
    },
    webhooks: createWebhookHandlers({ authToken: options.authToken, publicBase, logger: deps.logger }),
    async close() {
      if (transport) (await transport.catch(() => undefined))?.close();
    },
  };
}

export const twilioPlugin: PluginDefinition<TwilioOptions> = {
  name: 'twilio',
  optionsSchema: readSchema('plugins/twilio.schema.json'),
  channels: usableChannels,
  // A Messaging Service is a pool: opt-outs and windows then belong to the pool, not one number.
  sender: (options, channel) => (channel === 'whatsapp' ? options.whatsappFrom ?? options.from : options.from) ?? options.messagingServiceSid,
  create: createTwilioProvider,
};
