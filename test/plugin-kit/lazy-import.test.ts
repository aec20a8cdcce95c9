import { describe, expect, it } from 'vitest';
import { lazyImport } from '../../src/plugin-kit/lazy-import.js';
import { ProviderError } from '../../src/plugin-api.js';

describe('lazyImport', () => {
  it('loads once, on the first call, and shares that load between concurrent callers', async () => {
    let loads = 0;
    const sdk = lazyImport('some-sdk', async () => ({ n: (loads += 1) }));
    expect(loads).toBe(0);
    const [a, b] = await Promise.all([sdk(), sdk()]);
    expect(await sdk()).toBe(a);
    expect(b).toBe(a);
    expect(loads).toBe(1);
  });

  it('turns a failed load into a retryable ProviderError and tries again on the next call', async () => {
    let attempt = 0;
    const sdk = lazyImport('some-sdk', async () => {
      attempt += 1;
      if (attempt === 1) throw new Error("Cannot find package 'some-sdk'");
      return 'loaded';
    });
    const err = await sdk().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).message).toBe("the some-sdk package could not be loaded: Cannot find package 'some-sdk'");
    expect((err as ProviderError).retryable).toBe(true);
    expect(await sdk()).toBe('loaded');
  });
});
