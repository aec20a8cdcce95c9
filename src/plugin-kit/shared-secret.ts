import type { WebhookRequest } from '../plugin-api.js';
import { safeEqual } from './signatures.js';

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

function basicOf(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
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
  if (places.basicUsername !== undefined) {
    const basic = basicOf(first(headerOf(req, 'authorization')));
    given.push(basic && safeEqual(basic.user, places.basicUsername) ? basic.password : '');
  }
  // Every place is compared, present or not, so timing says nothing about which one held it.
  return given.map((g) => g !== '' && safeEqual(g, secret)).some(Boolean);
}
