import { ProviderError, parseDuration, readSchema, type PluginDefinition, type PluginDeps, type Provider } from '../../src/plugin-api.js';
import { graphError } from './errors.js';
import { isObject } from './json.js';
import { messagesUrl, senderOf, type WhatsAppCloudOptions } from './options.js';
import { buildPayload } from './payload.js';
import { mapWhatsAppStatus } from './status-map.js';
import { events, handshake } from './webhooks.js';

export type { WhatsAppCloudOptions } from './options.js';
export { OUTSIDE_WINDOW_CODE, describeGraphError } from './errors.js';

/** `{messages: [{id: "wamid…", message_status?}]}` → the wamid and Meta's own status word, if any. */
function acceptedMessage(text: string): { id?: string; messageStatus?: string } {
  try {
    const data: unknown = JSON.parse(text);
    const first = isObject(data) && Array.isArray(data.messages) && isObject(data.messages[0]) ? data.messages[0] : {};
    return { id: typeof first.id === 'string' && first.id !== '' ? first.id : undefined, messageStatus: typeof first.message_status === 'string' ? first.message_status : undefined };
  } catch {
    return {};
  }
}

/**
 * A WhatsApp Cloud API provider: Meta's Graph API called directly through the plugin kit's HTTP
 * client. `send` posts one message (text, one media link, a template, or any of them as a reply)
 * and returns the `wamid`; the `events` webhook answers Meta's GET handshake and verifies and
 * parses POSTed `statuses` and `messages`.
 *
 * @example
 *   const wa = createWhatsAppCloudProvider({ phoneNumberId: '106540352242922', accessToken, appSecret, verifyToken,
 *     baseUrl: 'https://graph.facebook.com', apiVersion: 'v21.0', previewUrl: false, timeout: '10s' }, deps);
 *   await wa.send({ attemptId, messageId, channel: 'whatsapp', to: '+15551234567', content: { text: 'Hi' } }, { signal });
 *   // → { providerMessageId: 'wamid.HBgL…', status: 'queued', details: { messageStatus: 'accepted' } }
 */
export function createWhatsAppCloudProvider(options: WhatsAppCloudOptions, deps: PluginDeps): Provider {
  const timeoutMs = parseDuration(options.timeout) ?? 10_000;
  const url = messagesUrl(options);
  if (options.appSecret === undefined) deps.logger.warn({ instance: deps.instance }, 'whatsapp-cloud: no appSecret, so webhook deliveries cannot be verified and are refused');
  const ctx = { phoneNumberId: options.phoneNumberId, sender: senderOf(options), appSecret: options.appSecret, verifyToken: options.verifyToken, logger: deps.logger };

  return {
    async send(message, { signal }) {
      const payload = buildPayload(message, options);
      const res = await deps.http.request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${options.accessToken}` },
        body: JSON.stringify(payload),
        signal,
        timeoutMs,
      });
      if (res.status < 200 || res.status >= 300) throw graphError(res, deps.clock.now());
      const { id, messageStatus } = acceptedMessage(res.text);
      if (id === undefined) throw new ProviderError(`WhatsApp Cloud API answered ${res.status} without a message id; the message may or may not have been sent`, { reason: 'server', status: res.status });
      return {
        providerMessageId: id,
        // `accepted` only means Meta took the request; `sent` comes in the statuses webhook.
        status: mapWhatsAppStatus(messageStatus) ?? 'queued',
        details: { whatsappType: payload.type, ...(messageStatus ? { messageStatus } : {}) },
      };
    },
    webhooks: Object.freeze({ events: events(ctx) }),
    handshakes: Object.freeze({ events: handshake(ctx) }),
  };
}

export const whatsappCloudPlugin: PluginDefinition<WhatsAppCloudOptions> = {
  name: 'whatsapp-cloud',
  optionsSchema: readSchema('plugins/whatsapp-cloud.schema.json'),
  channels: () => ['whatsapp'],
  sender: (options) => senderOf(options),
  create: createWhatsAppCloudProvider,
};
