import { describe, expect, it } from 'vitest';
import { basicAuthMatches, matchesSecret, safeEqual } from '../../src/plugin-kit/signatures.js';

describe('secret comparison', () => {
  it('matches only the exact value: not a prefix, an extension, another case or an empty string', () => {
    const secret = 'whsec-0123456789abcdef';
    expect(matchesSecret(secret, secret)).toBe(true);
    for (const wrong of ['', 'whsec-0123456789abcde', `${secret}0`, secret.toUpperCase(), 'x'.repeat(1000)]) {
      expect(matchesSecret(wrong, secret)).toBe(false);
      expect(safeEqual(wrong, secret)).toBe(false);
    }
  });

  it('stays right past the number of secrets whose digests it keeps', () => {
    const secrets = Array.from({ length: 600 }, (_, i) => `secret-${i}-${'k'.repeat(i % 7)}`);
    for (const s of secrets) expect(matchesSecret(s, s)).toBe(true);
    // Checked again, in another order, once the early digests were dropped: none answers for another.
    for (let i = secrets.length - 1; i >= 0; i--) {
      expect(matchesSecret(secrets[i], secrets[i])).toBe(true);
      expect(matchesSecret(secrets[(i + 1) % secrets.length], secrets[i])).toBe(false);
    }
  });

  it('checks Basic credentials as user:password, refusing another user, password or scheme', () => {
    const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
    expect(basicAuthMatches(basic('infobip:s3cret-password'), 'infobip', 's3cret-password')).toBe(true);
    expect(basicAuthMatches(basic('other:s3cret-password'), 'infobip', 's3cret-password')).toBe(false);
    expect(basicAuthMatches(basic('infobip:wrong'), 'infobip', 's3cret-password')).toBe(false);
    expect(basicAuthMatches(`Bearer ${Buffer.from('infobip:s3cret-password').toString('base64')}`, 'infobip', 's3cret-password')).toBe(false);
    expect(basicAuthMatches(undefined, 'infobip', 's3cret-password')).toBe(false);
  });
});
