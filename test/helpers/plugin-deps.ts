import { pino } from 'pino';
import { expect } from 'vitest';
import { ProviderError, createHttpClient, type PluginDeps } from '../../src/plugin-api.js';

/**
 * What the runtime hands a provider instance, for plugin tests: a silent logger, the real clock
 * (or the one given), a 1 s HTTP client, pass-through metrics, webhook URLs under
 * `https://gw.example.test/webhooks/<instance>/`.
 */
export function pluginDeps(instance: string, overrides: Partial<PluginDeps> = {}): PluginDeps {
  return {
    instance,
    logger: pino({ level: 'silent' }),
    clock: { now: Date.now, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    http: createHttpClient({ timeoutMs: 1000 }),
    metrics: { time: (_op, fn) => fn(), failed: () => undefined },
    webhookUrl: (kind) => `https://gw.example.test/webhooks/${instance}/${kind}`,
    loopback: async () => {},
    ...overrides,
  };
}

/** The ProviderError a send rejected with (fails the test when it resolved or threw something else). */
export async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}
