import { ProviderError } from '../errors.js';

/**
 * A module imported the first time it is needed, not when the plugin is: each provider SDK takes
 * from a few hundred milliseconds to seconds to import, which a gateway that never configures
 * that provider (or never sends through it) should not pay at start. A module that cannot be
 * loaded fails the call that needed it with a retryable ProviderError naming the package, and is
 * tried again on the next call (an operator may install it meanwhile).
 *
 * @example
 *   const sdk = lazyImport('twilio', () => import('twilio'));
 *   const { default: twilio } = await sdk();
 */
export function lazyImport<T>(name: string, load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => (pending ??= load().catch((err: unknown) => {
    pending = undefined;
    throw new ProviderError(`the ${name} package could not be loaded: ${(err as Error)?.message ?? String(err)}`, { reason: 'server', cause: err });
  }));
}
