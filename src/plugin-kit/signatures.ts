import { createHmac, hash, timingSafeEqual } from 'node:crypto';

/** SHA-256 of `text`, one-shot: a Hash object per request cost 2 % of an accept. */
export const sha256 = (text: string): Buffer => hash('sha256', text, 'buffer');

/** Constant-time string comparison; hashing first makes the time independent of length too. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

// Digests of configured secrets, so a callback hashes only what it presents. Bounded: a caller
// passing values that change per request would otherwise grow it without end.
const SECRET_DIGESTS = new Map<string, Buffer>();
const MAX_SECRET_DIGESTS = 256;

/**
 * `safeEqual` for a value presented against a configured secret: the secret's digest is kept, so
 * each check hashes once. Not for expected values computed per request (an HMAC): use `safeEqual`.
 */
export function matchesSecret(given: string, secret: string): boolean {
  let digest = SECRET_DIGESTS.get(secret);
  if (digest === undefined) {
    if (SECRET_DIGESTS.size >= MAX_SECRET_DIGESTS) SECRET_DIGESTS.clear();
    digest = sha256(secret);
    SECRET_DIGESTS.set(secret, digest);
  }
  return timingSafeEqual(sha256(given), digest);
}

/** Checks an `Authorization: Basic …` header against expected credentials in constant time. */
export function basicAuthMatches(header: string | undefined, username: string, password: string): boolean {
  const match = /^Basic\s+(.+)$/i.exec(header ?? '');
  const given = match ? Buffer.from(match[1], 'base64').toString('utf8') : '';
  return matchesSecret(given, `${username}:${password}`);
}

export function hmacSha256(secret: string, data: string, encoding: 'hex' | 'base64' = 'hex'): string {
  return createHmac('sha256', secret).update(data).digest(encoding);
}
