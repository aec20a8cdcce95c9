import { describe, expect, it } from 'vitest';
import type { Scope } from '../../src/config/types.js';
import { authenticate } from '../../src/http/auth.js';
import type { Runtime } from '../../src/runtime/runtime.js';

// authenticate reads only the loaded config's API keys; a config is frozen, as loadConfig leaves it.
const runtimeWith = (keys: { name: string; key: string; scopes: Scope[] }[]) =>
  ({ loaded: { config: Object.freeze({ api: Object.freeze({ keys: Object.freeze(keys.map((k) => Object.freeze(k))) }) }) } }) as unknown as Runtime;

describe('API key authentication against precomputed digests', () => {
  const runtime = runtimeWith([
    { name: 'sender', key: 'send-key-0123456789', scopes: ['send'] },
    { name: 'reader', key: 'read-key-0123456789', scopes: ['read'] },
  ]);

  it('finds the owner of a configured key, and only of that key', () => {
    expect(authenticate(runtime, 'send-key-0123456789')).toEqual({ name: 'sender', scopes: ['send'] });
    expect(authenticate(runtime, 'read-key-0123456789')).toEqual({ name: 'reader', scopes: ['read'] });
  });

  it('refuses a missing, empty, shortened, lengthened or differently cased key', () => {
    for (const key of [undefined, '', 'send-key-012345678', 'send-key-01234567890', 'SEND-KEY-0123456789']) {
      expect(authenticate(runtime, key)).toBeUndefined();
    }
  });

  it('follows a reload that rotates the keys: the old key stops working at once', () => {
    const rotated = runtimeWith([{ name: 'sender', key: 'new-send-key-9876543210', scopes: ['send', 'read'] }]);
    expect(authenticate(rotated, 'send-key-0123456789')).toBeUndefined();
    expect(authenticate(rotated, 'new-send-key-9876543210')).toEqual({ name: 'sender', scopes: ['send', 'read'] });
    expect(authenticate(runtime, 'send-key-0123456789')?.name).toBe('sender');
  });

  it('takes the first configured owner when two entries share a key', () => {
    const twice = runtimeWith([
      { name: 'first', key: 'shared-key-0123456789', scopes: ['read'] },
      { name: 'second', key: 'shared-key-0123456789', scopes: ['admin'] },
    ]);
    expect(authenticate(twice, 'shared-key-0123456789')?.name).toBe('first');
  });
});
