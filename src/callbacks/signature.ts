import { hmacSha256, safeEqual } from '../plugin-kit/signatures.js';

export const TIMESTAMP_HEADER = 'x-switchboard-timestamp';
export const SIGNATURE_HEADER = 'x-switchboard-signature';

/**
 * Headers for an outbound callback: `x-switchboard-timestamp: <unix seconds>` and
 * `x-switchboard-signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. No secret, no
 * signature (a warning is logged at start).
 */
export function signCallback(secret: string | undefined, body: string, timestamp: number): Record<string, string> {
  if (!secret) return {};
  return { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: `v1=${hmacSha256(secret, `${timestamp}.${body}`)}` };
}

/**
 * What a receiver runs: checks the signature and that the timestamp is within `toleranceSec`.
 *
 * @example verifyCallback(secret, rawBody, req.headers, Date.now() / 1000)
 */
export function verifyCallback(
  secret: string,
  body: string,
  headers: Record<string, string | string[] | undefined>,
  nowSec: number,
  toleranceSec = 300,
): boolean {
  const ts = Number(headers[TIMESTAMP_HEADER]);
  const sig = headers[SIGNATURE_HEADER];
  if (!Number.isFinite(ts) || typeof sig !== 'string' || Math.abs(nowSec - ts) > toleranceSec) return false;
  return safeEqual(sig, `v1=${hmacSha256(secret, `${ts}.${body}`)}`);
}
