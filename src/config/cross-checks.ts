import type { PluginDefinition } from '../plugin-api.js';
import { parseDuration } from './duration.js';
import { checkCallbackUrl } from '../callbacks/url-policy.js';
import type { GatewayConfig, Until } from './types.js';

// The order a message reaches them: a provider that reports up to `sent` can satisfy `accepted` and `sent`.
const UNTIL_ORDER: readonly Until[] = ['accepted', 'sent', 'delivered', 'read'];

type Located = (path: readonly (string | number)[], message: string) => void;

/** Checks a schema cannot express: steps name existing providers that support the step's channel. */
export function checkRoutes(config: GatewayConfig, plugins: ReadonlyMap<string, PluginDefinition<never>>, at: Located): void {
  for (const [routeName, route] of Object.entries(config.routes)) {
    route.steps.forEach((step, i) => {
      step.providers.forEach((instance, j) => {
        const where = ['routes', routeName, 'steps', i, 'providers', j];
        if (!(instance in config.providers)) {
          at(where, `routes.${routeName}.steps[${i}]: unknown provider "${instance}"`);
          return;
        }
        const plugin = plugins.get(instance);
        if (!plugin) return; // its own error was reported already
        const options = config.providers[instance] as never;
        if (!plugin.channels(options).includes(step.channel)) {
          at(where, `routes.${routeName}.steps[${i}]: provider "${instance}" does not support channel ${step.channel}`);
          return;
        }
        const furthest = plugin.furthestStatus?.(options, step.channel) ?? 'read';
        if (UNTIL_ORDER.indexOf(step.until) > UNTIL_ORDER.indexOf(furthest)) {
          at(['routes', routeName, 'steps', i, 'until'], `routes.${routeName}.steps[${i}]: until: ${step.until} can never be met: provider "${instance}" (${config.providers[instance].plugin}) reports no status past ${furthest}; use until: ${furthest}${step.until === 'delivered' ? ' (until defaults to delivered)' : ''}`);
        }
      });
    });
  }
  const names = new Set<string>();
  config.api.keys.forEach((k, i) => {
    if (names.has(k.name)) at(['api', 'keys', i, 'name'], `api.keys[${i}]: duplicate key name "${k.name}"`);
    names.add(k.name);
  });
}

/**
 * Consent and compatibility references: a step's policy exists and guards a WhatsApp step, a
 * hold fits inside its window, and a compat API names an existing route.
 */
export function checkConsent(config: GatewayConfig, at: Located): void {
  for (const [routeName, route] of Object.entries(config.routes)) {
    route.steps.forEach((step, i) => {
      if (step.consent === undefined) return;
      const where = ['routes', routeName, 'steps', i, 'consent'];
      if (!Object.hasOwn(config.consent, step.consent)) at(where, `routes.${routeName}.steps[${i}]: unknown consent policy "${step.consent}" (known: ${Object.keys(config.consent).join(', ') || 'none'})`);
      else if (step.channel !== 'whatsapp') at(where, `routes.${routeName}.steps[${i}]: a consent policy guards whatsapp steps only, not ${step.channel}`);
    });
  }
  for (const [name, policy] of Object.entries(config.consent)) {
    if ((parseDuration(policy.hold) ?? 0) > (parseDuration(policy.window) ?? 0)) {
      at(['consent', name, 'hold'], `consent.${name}: hold (${policy.hold}) is longer than the window (${policy.window})`);
    }
  }
  for (const api of ['sendSMS', 'sendWhatsApp'] as const) {
    const target = config.compat[api];
    if (target && !Object.hasOwn(config.routes, target.route)) at(['compat', api, 'route'], `compat.${api}: unknown route "${target.route}"`);
  }
}

// The connector's API speaks Twilio and Avaya fields; `mock` stands in for Twilio as the sample's mock mode.
const CONNECTOR_CUSTOMER_PLUGINS = ['twilio', 'mock'];
const CONNECTOR_CONTACT_CENTER_PLUGIN = 'avaya-infinity';

/** `compat.avayaConnector` names a bridge whose contact center is Avaya, and a twilio (or mock) instance. */
export function checkAvayaConnector(config: GatewayConfig, at: Located): void {
  const connector = config.compat.avayaConnector;
  if (!connector) return;
  const label = 'compat.avayaConnector';
  if (!Object.hasOwn(config.bridges, connector.bridge)) {
    at(['compat', 'avayaConnector', 'bridge'], `${label}: unknown bridge "${connector.bridge}" (known: ${Object.keys(config.bridges).join(', ') || 'none'})`);
  } else {
    const cc = config.bridges[connector.bridge].contactCenter;
    // An unknown contact center is reported at the bridge already.
    if (Object.hasOwn(config.providers, cc) && config.providers[cc].plugin !== CONNECTOR_CONTACT_CENTER_PLUGIN) {
      at(['compat', 'avayaConnector', 'bridge'], `${label}: bridge "${connector.bridge}" joins "${cc}", which is not an ${CONNECTOR_CONTACT_CENTER_PLUGIN} instance`);
    }
  }
  if (!Object.hasOwn(config.providers, connector.twilio)) {
    at(['compat', 'avayaConnector', 'twilio'], `${label}: unknown provider "${connector.twilio}"`);
  } else if (!CONNECTOR_CUSTOMER_PLUGINS.includes(config.providers[connector.twilio].plugin)) {
    at(['compat', 'avayaConnector', 'twilio'], `${label}: provider "${connector.twilio}" is an instance of plugin ${config.providers[connector.twilio].plugin}; the connector's API needs a twilio one (or mock, for mock mode)`);
  }
}

/**
 * Inbound rules and bridges name things that exist: providers, routes, bridges, contact centers;
 * a `forward` URL passes the callback URL policy; a `text` pattern compiles.
 */
export function checkInbound(config: GatewayConfig, plugins: ReadonlyMap<string, PluginDefinition<never>>, at: Located): void {
  const provider = (where: (string | number)[], label: string, name: string) => {
    if (!Object.hasOwn(config.providers, name)) at(where, `${label}: unknown provider "${name}"`);
  };
  const route = (where: (string | number)[], label: string, name: string) => {
    if (!Object.hasOwn(config.routes, name)) at(where, `${label}: unknown route "${name}"`);
  };
  config.inbound.forEach((rule, i) => {
    const label = `inbound[${i}]`;
    if (rule.match.provider !== undefined) provider(['inbound', i, 'match', 'provider'], label, rule.match.provider);
    if (rule.match.text !== undefined) {
      try {
        new RegExp(rule.match.text, 'i');
      } catch (err) {
        at(['inbound', i, 'match', 'text'], `${label}: match.text is not a regular expression: ${(err as Error).message}`);
      }
    }
    if (rule.bridge !== undefined && !Object.hasOwn(config.bridges, rule.bridge)) at(['inbound', i, 'bridge'], `${label}: unknown bridge "${rule.bridge}"`);
    if (rule.reply?.route !== undefined) route(['inbound', i, 'reply', 'route'], label, rule.reply.route);
    if (rule.reply?.provider !== undefined) provider(['inbound', i, 'reply', 'provider'], label, rule.reply.provider);
    if (rule.forward) {
      const verdict = checkCallbackUrl(rule.forward.url, { allowedHosts: config.callbacks.allowedHosts });
      if (!verdict.ok) at(['inbound', i, 'forward', 'url'], `${label}: forward.url: ${verdict.reason}`);
    }
  });
  for (const [name, bridge] of Object.entries(config.bridges)) {
    const label = `bridges.${name}`;
    route(['bridges', name, 'reply', 'route'], label, bridge.reply.route);
    if (!Object.hasOwn(config.providers, bridge.contactCenter)) at(['bridges', name, 'contactCenter'], `${label}: unknown provider "${bridge.contactCenter}"`);
    else if (plugins.get(bridge.contactCenter) && plugins.get(bridge.contactCenter)?.kind !== 'contact-center') {
      at(['bridges', name, 'contactCenter'], `${label}: provider "${bridge.contactCenter}" is not a contact center`);
    }
  }
}
