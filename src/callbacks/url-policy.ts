import ipaddr from 'ipaddr.js';

/**
 * Where status callbacks may go. A callback URL is chosen by an API client, so by default it may
 * only reach the public internet: `http:`/`https:` only, and never a loopback, link-local (the
 * cloud metadata address among them), private, unique-local, CGNAT, unspecified, multicast or
 * otherwise reserved address. `callbacks.allowedHosts` is the explicit opt-in: when set, only its
 * hosts are allowed, and they are allowed whatever their addresses (a receiver on the LAN).
 */
export interface CallbackUrlPolicy {
  /** `callbacks.allowedHosts`: host names or literal addresses, compared case-insensitively. */
  allowedHosts?: readonly string[];
}

export type UrlVerdict = { ok: true; url: URL; allowListed: boolean } | { ok: false; reason: string };

const bare = (hostname: string): string => hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();

/**
 * The class of an address that callbacks must not reach, or `undefined` for a public unicast
 * address. IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is judged as the IPv4 address it carries.
 *
 * @example forbiddenRange('169.254.169.254') // 'linkLocal'
 */
export function forbiddenRange(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'invalid';
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  // Only plain unicast passes: NAT64, 6to4 and Teredo embed IPv4 addresses that could be private.
  const range = parsed.range();
  return range === 'unicast' ? undefined : range;
}

/**
 * Checks a callback URL as written (scheme, allow-list, literal addresses). Host names are checked
 * again at delivery, on the address they resolve to. The engine calls this at accept; the outbox
 * calls it for every redirect hop.
 *
 * @example checkCallbackUrl('http://169.254.169.254/latest', {}) // { ok: false, reason: '…link-local…' }
 */
export function checkCallbackUrl(raw: string, policy: CallbackUrlPolicy): UrlVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'callbackUrl is not a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: `callbackUrl must be http: or https:, not ${url.protocol}` };
  const host = bare(url.hostname);
  if (policy.allowedHosts !== undefined) {
    const allowed = policy.allowedHosts.some((h) => bare(h) === host);
    return allowed ? { ok: true, url, allowListed: true } : { ok: false, reason: `callbackUrl host ${host} is not in callbacks.allowedHosts` };
  }
  if (ipaddr.isValid(host)) {
    const range = forbiddenRange(host);
    if (range) return { ok: false, reason: `callbackUrl host ${host} is a ${describeRange(range)} address; list it in callbacks.allowedHosts to allow it` };
  } else if (host === 'localhost' || host.endsWith('.localhost')) {
    return { ok: false, reason: `callbackUrl host ${host} is a loopback name; list it in callbacks.allowedHosts to allow it` };
  }
  return { ok: true, url, allowListed: false };
}

export function describeRange(range: string): string {
  const names: Record<string, string> = {
    loopback: 'loopback', linkLocal: 'link-local', private: 'private', uniqueLocal: 'unique-local (private)',
    carrierGradeNat: 'carrier-grade NAT', unspecified: 'unspecified', multicast: 'multicast', broadcast: 'broadcast',
  };
  return Object.hasOwn(names, range) ? names[range] : `reserved (${range})`;
}
