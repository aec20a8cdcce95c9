import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Constant-time string comparison; hashing first makes the time independent of length too. */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

/** Checks an `Authorization: Basic …` header against expected credentials in constant time. */
export function basicAuthMatches(header: string | undefined, username: string, password: string): boolean {
  const match = /^Basic\s+(.+)$/i.exec(header ?? '');
  const given = match ? Buffer.from(match[1], 'base64').toString('utf8') : '';
  return safeEqual(given, `${username}:${password}`);
}

export function hmacSha256(secret: string, data: string, encoding: 'hex' | 'base64' = 'hex'): string {
  return createHmac('sha256', secret).update(data).digest(encoding);
}
