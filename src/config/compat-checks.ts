import type { GatewayConfig } from './types.js';

type Located = (path: readonly (string | number)[], message: string) => void;

const MESSAGING_CONNECT_PLUGIN = 'acs';

/**
 * `compat.messagingConnect` names an acs instance and two routes that exist, and each route can
 * reach the person on the channel it stands for (its first step is that channel).
 */
export function checkMessagingConnect(config: GatewayConfig, at: Located): void {
  const mc = config.compat.messagingConnect;
  if (!mc) return;
  const label = 'compat.messagingConnect';
  if (!Object.hasOwn(config.providers, mc.provider)) {
    at(['compat', 'messagingConnect', 'provider'], `${label}: unknown provider "${mc.provider}"`);
  } else if (config.providers[mc.provider].plugin !== MESSAGING_CONNECT_PLUGIN) {
    at(['compat', 'messagingConnect', 'provider'], `${label}: provider "${mc.provider}" is an instance of plugin ${config.providers[mc.provider].plugin}; Messaging Connect needs an ${MESSAGING_CONNECT_PLUGIN} one`);
  }
  for (const [key, channel] of [['whatsappRoute', 'whatsapp'], ['smsRoute', 'sms']] as const) {
    const name = mc[key];
    if (!Object.hasOwn(config.routes, name)) {
      at(['compat', 'messagingConnect', key], `${label}.${key}: unknown route "${name}"`);
      continue;
    }
    const first = config.routes[name].steps[0]?.channel;
    if (first !== channel) at(['compat', 'messagingConnect', key], `${label}.${key}: route "${name}" starts with ${first ?? 'no step'}, not ${channel}`);
  }
}
