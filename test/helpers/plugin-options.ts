import { createAjv } from '../../src/config/ajv.js';
import type { WebhookRequest } from '../../src/plugin-api.js';

/** Options as the config loader produces them: validated against the plugin's schema, defaults filled, frozen. */
export function configureOptions<O>(plugin: { optionsSchema: Record<string, unknown> }, raw: Record<string, unknown>): O {
  const validate = createAjv().compile(plugin.optionsSchema);
  const options = structuredClone(raw);
  if (!validate(options)) throw new Error(JSON.stringify(validate.errors));
  return Object.freeze(options) as unknown as O;
}

/** The schema's verdict on raw options: the ajv error messages, empty when valid. */
export function optionErrors(plugin: { optionsSchema: Record<string, unknown> }, raw: Record<string, unknown>): string[] {
  const validate = createAjv().compile(plugin.optionsSchema);
  return validate(structuredClone(raw)) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** A JSON webhook request as the HTTP layer hands it to a plugin. */
export function jsonWebhook(url: string, body: unknown, headers: Record<string, string> = {}, method = 'POST'): WebhookRequest {
  const rawBody = typeof body === 'string' ? body : JSON.stringify(body);
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    parsed = undefined;
  }
  const query = Object.fromEntries(new URL(url).searchParams);
  return { method, url, headers: { 'content-type': 'application/json', ...headers }, query, rawBody, body: parsed };
}
