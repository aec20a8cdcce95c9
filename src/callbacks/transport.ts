import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { withDeadline } from '../plugin-kit/deadline.js';
import { checkCallbackUrl, describeRange, forbiddenRange, type CallbackUrlPolicy } from './url-policy.js';

/** What a delivery came to: the final status, or why there was none. Never the answer's body. */
export type DeliveryOutcome =
  | { kind: 'answered'; status: number }
  /** The URL, a redirect or a resolved address is not allowed: permanent. */
  | { kind: 'refused'; reason: string }
  /** No answer (DNS, connection, timeout): worth another try. */
  | { kind: 'failed'; reason: string };

export interface CallbackPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  policy: CallbackUrlPolicy;
}

export type CallbackTransport = (post: CallbackPost) => Promise<DeliveryOutcome>;

const MAX_REDIRECTS = 5;

class RefusedAddress extends Error {}

/**
 * A DNS lookup that fails for a forbidden address, so the check applies to the very address the
 * socket connects to (a second lookup by the client could be answered differently: DNS rebinding).
 */
function guardedLookup(resolve: LookupFunction, allowListed: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = (Array.isArray(addresses) ? addresses : [{ address: addresses, family: 0 }]) as LookupAddress[];
      const bad = allowListed ? undefined : list.map((a) => forbiddenRange(a.address)).find((r) => r !== undefined);
      if (bad) return callback(new RefusedAddress(`${hostname} resolves to a ${describeRange(bad)} address`), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      return callback(null, list[0].address, list[0].family);
    });
  };
}

function once(url: URL, method: string, post: CallbackPost, lookup: LookupFunction, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    // No agent: a pooled socket would skip the lookup, and with it the address check.
    const req = send(url, { method, headers: method === 'POST' ? post.headers : { 'user-agent': post.headers['user-agent'] ?? 'switchboard' }, lookup, signal, agent: false }, resolve);
    req.on('error', reject);
    req.end(method === 'POST' ? post.body : undefined);
  });
}

/**
 * POSTs a status callback with redirects followed by hand (at most 5), every hop checked against
 * the policy and every resolved address checked at connect time. The answer's body is read and
 * thrown away: it is the target's, and nothing of it may reach a client or a log.
 *
 * @example const deliver = createCallbackTransport(); await deliver({ url, headers, body, timeoutMs: 10_000, policy: {} });
 */
export function createCallbackTransport(options: { lookup?: LookupFunction } = {}): CallbackTransport {
  const resolve = options.lookup ?? (dnsLookup as unknown as LookupFunction);
  return (post) => withDeadline(post.timeoutMs, (signal) => deliver(post, signal));

  async function deliver(post: CallbackPost, signal: AbortSignal): ReturnType<CallbackTransport> {
    let target = post.url;
    let method = 'POST';
    for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
      const verdict = checkCallbackUrl(target, post.policy);
      if (!verdict.ok) return { kind: 'refused', reason: hop === 0 ? verdict.reason : `redirect ${hop}: ${verdict.reason}` };
      let res: IncomingMessage;
      try {
        res = await once(verdict.url, method, post, guardedLookup(resolve, verdict.allowListed), signal);
      } catch (err) {
        if (err instanceof RefusedAddress) return { kind: 'refused', reason: hop === 0 ? err.message : `redirect ${hop}: ${err.message}` };
        if (signal.aborted) return { kind: 'failed', reason: `no answer within ${post.timeoutMs} ms` };
        const code = (err as NodeJS.ErrnoException).code;
        return { kind: 'failed', reason: `connection to ${verdict.url.host} failed${code ? ` (${code})` : ''}` };
      }
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      res.destroy();
      if (status < 300 || status >= 400 || status === 304 || !location) return { kind: 'answered', status };
      try {
        target = new URL(location, verdict.url).href;
      } catch {
        return { kind: 'refused', reason: `redirect ${hop + 1}: the Location header is not a URL` };
      }
      // Fetch's rule: 303, and 301/302 after a POST, continue as a GET without the body.
      if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) method = 'GET';
    }
    return { kind: 'refused', reason: `more than ${MAX_REDIRECTS} redirects` };
  }
}
