import type { Channel, PluginDefinition } from '../plugin-api.js';
import { parseDuration } from './duration.js';
import { checkCallbackUrl } from '../callbacks/url-policy.js';
import type { GatewayConfig, RouteConfig, Until } from './types.js';
import { instanceMaySendFrom } from './senders.js';
import { normalizeAddress } from '../engine/addresses.js';

// The order a message reaches them: a provider that reports up to `sent` can satisfy `accepted` and `sent`.
const UNTIL_ORDER: readonly Until[] = ['accepted', 'sent', 'delivered', 'read'];

type Located = (path: readonly (string | number)[], message: string) => void;

/** A problem with a route, at a path inside it (`['steps', 0, 'providers', 1]`). */
export interface RouteProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Steps name existing providers that support the step's channel, and a step's `from` is a sender
 * one of them may use. `label` starts each message (`routes.default`, `route`).
 */
export function stepProviderProblems(label: string, route: RouteConfig, config: GatewayConfig, plugins: ReadonlyMap<string, PluginDefinition<never>>): RouteProblem[] {
  const problems: RouteProblem[] = [];
  route.steps.forEach((step, i) => {
    step.providers.forEach((instance, j) => {
      const where = ['steps', i, 'providers', j];
      if (!(instance in config.providers)) {
        problems.push({ path: where, message: `${label}.steps[${i}]: unknown provider "${instance}"` });
        return;
      }
      const plugin = plugins.get(instance);
      if (!plugin) return; // its own error was reported already
      const options = config.providers[instance] as never;
      if (!plugin.channels(options).includes(step.channel)) {
        problems.push({ path: where, message: `${label}.steps[${i}]: provider "${instance}" does not support channel ${step.channel}` });
        return;
      }
      const furthest = plugin.furthestStatus?.(options, step.channel) ?? 'read';
      if (UNTIL_ORDER.indexOf(step.until) > UNTIL_ORDER.indexOf(furthest)) {
        problems.push({ path: ['steps', i, 'until'], message: `${label}.steps[${i}]: until: ${step.until} can never be met: provider "${instance}" (${config.providers[instance].plugin}) reports no status past ${furthest}; use until: ${furthest}${step.until === 'delivered' ? ' (until defaults to delivered)' : ''}` });
      }
    });
    const from = step.from;
    if (from !== undefined && !step.providers.some((p) => plugins.has(p) && instanceMaySendFrom(config, plugins, p, step.channel, normalizeAddress(from)))) {
      problems.push({ path: ['steps', i, 'from'], message: `${label}.steps[${i}]: no provider of the step may send from "${from}" (see providers.<name>.senders)` });
    }
  });
  return problems;
}

/** A step's consent policy exists and guards a WhatsApp step. */
export function stepConsentProblems(label: string, route: RouteConfig, config: GatewayConfig): RouteProblem[] {
  const problems: RouteProblem[] = [];
  route.steps.forEach((step, i) => {
    if (step.consent === undefined) return;
    const where = ['steps', i, 'consent'];
    if (!Object.hasOwn(config.consent, step.consent)) problems.push({ path: where, message: `${label}.steps[${i}]: unknown consent policy "${step.consent}" (known: ${Object.keys(config.consent).join(', ') || 'none'})` });
    else if (step.channel !== 'whatsapp') problems.push({ path: where, message: `${label}.steps[${i}]: a consent policy guards whatsapp steps only, not ${step.channel}` });
  });
  return problems;
}

/** Checks a schema cannot express: steps name existing providers that support the step's channel. */
export function checkRoutes(config: GatewayConfig, plugins: ReadonlyMap<string, PluginDefinition<never>>, at: Located): void {
  for (const [routeName, route] of Object.entries(config.routes)) {
    for (const p of stepProviderProblems(`routes.${routeName}`, route, config, plugins)) at(['routes', routeName, ...p.path], p.message);
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
    for (const p of stepConsentProblems(`routes.${routeName}`, route, config)) at(['routes', routeName, ...p.path], p.message);
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

/** `compat.omnichannel` names, per channel, an existing instance that sends on that channel. */
export function checkOmnichannel(config: GatewayConfig, plugins: ReadonlyMap<string, PluginDefinition<never>>, at: Located): void {
  const omnichannel = config.compat.omnichannel;
  if (!omnichannel) return;
  for (const [channel, instance] of Object.entries(omnichannel.providers) as [Channel, string][]) {
    const where = ['compat', 'omnichannel', 'providers', channel];
    if (!Object.hasOwn(config.providers, instance)) at(where, `compat.omnichannel.providers.${channel}: unknown provider "${instance}"`);
    else if (plugins.has(instance) && !plugins.get(instance)!.channels(config.providers[instance] as never).includes(channel)) {
      at(where, `compat.omnichannel.providers.${channel}: provider "${instance}" does not support channel ${channel}`);
    }
  }
}
