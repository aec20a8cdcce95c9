import type { PluginDefinition } from '../plugin-api.js';
import { parseDuration } from './duration.js';
import { checkCallbackUrl } from '../callbacks/url-policy.js';
import type { GatewayConfig } from './types.js';

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
      at(['consent', name, 'hold'], `consent.${name}: hold (${policy.hold}) is longer than the window (${policy.window}): a reply could never release it inside the window it opens`);
    }
  }
  for (const [api, target] of Object.entries(config.compat)) {
    if (target && !Object.hasOwn(config.routes, target.route)) at(['compat', api, 'route'], `compat.${api}: unknown route "${target.route}"`);
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
