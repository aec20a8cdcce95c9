import type { WebhookRequest } from '../plugin-api.js';
import { basicAuthMatches, matchesSecret } from './signatures.js';

/** Where a provider that signs nothing may carry a webhook's shared secret. */
export interface SecretPlaces {
  /** A query parameter of the URL the operator registered (`code`, `secret`). */
  query?: string;
  /** A header the provider adds on every delivery (`x-webhook-secret`). */
  header?: string;
  /** HTTP Basic with this user name; the secret is the password. */
  basicUsername?: string;
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? (v.length === 1 ? v[0] : undefined) : v);

function headerOf(req: Pick<WebhookRequest, 'headers'>, name: string): string | string[] | undefined {
  const key = Object.keys(req.headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : req.headers[key];
}

/**
 * Whether a callback carries `secret` in one of the places given, compared in constant time. A
 * value repeated (`?code=a&code=b`) counts as absent, so no second copy can be tried for free.
 *
 * @example sharedSecretMatches(req, 'whsec-…', { query: 'code', header: 'x-webhook-secret' })
 */
export function sharedSecretMatches(req: Pick<WebhookRequest, 'headers' | 'query'>, secret: string, places: SecretPlaces): boolean {
  const given: string[] = [];
  if (places.query !== undefined) given.push(first(req.query[places.query]) ?? '');
  if (places.header !== undefined) given.push(first(headerOf(req, places.header)) ?? '');
  // Every place is compared, present or not, so timing says nothing about which one held it.
  const matches = given.map((g) => g !== '' && matchesSecret(g, secret));
  if (places.basicUsername !== undefined) matches.push(basicAuthMatches(first(headerOf(req, 'authorization')), places.basicUsername, secret));
  return matches.some(Boolean);
}
