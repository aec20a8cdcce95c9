import type { PluginDefinition, Provider } from '../../src/plugin-api.js';
import { builtinsWith } from './builtins.js';

/**
 * A provider whose sends wait until the test opens the gate, to hold a send "in flight" at a
 * chosen moment. `ignoreAbort` makes it a plugin that never honours the abort signal.
 */
export function gatedPlugin(options: { ignoreAbort?: boolean } = {}) {
  const waiting: { to: string; open: () => void }[] = [];
  const events: string[] = [];
  let n = 0;
  const definition: PluginDefinition<Record<string, never>> = {
    name: 'gated',
    optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
    channels: () => ['sms', 'email', 'whatsapp'],
    create(): Provider {
      return {
        async send(message, { signal }) {
          events.push(`send ${message.to}`);
          await new Promise<void>((resolve, reject) => {
            waiting.push({ to: message.to, open: resolve });
            if (!options.ignoreAbort) signal.addEventListener('abort', () => reject(signal.reason as Error));
          });
          events.push(`sent ${message.to}`);
          return { providerMessageId: `gated-${++n}`, status: 'sent' };
        },
        async close() {
          events.push('closed');
        },
      };
    },
  };
  const builtins = builtinsWith(definition);
  return {
    builtins,
    /** What the provider saw, in order: `send <to>`, `sent <to>`, `closed`. */
    events,
    /** Sends waiting at the gate. */
    get waiting() {
      return waiting.length;
    },
    /** Lets the oldest waiting send answer. */
    open(): void {
      waiting.shift()?.open();
    },
  };
}
