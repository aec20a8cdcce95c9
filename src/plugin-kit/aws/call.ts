import { ProviderError } from '../../errors.js';
import { timedOut, withDeadline } from '../deadline.js';
import { toAwsProviderError, type AwsErrorRule } from './errors.js';

export interface AwsCallOptions {
  service: string;
  timeoutMs: number;
  /** The engine's signal for this send (shutdown, the send ceiling). */
  signal: AbortSignal;
  rules?: Readonly<Record<string, AwsErrorRule>>;
}

/**
 * Runs one SDK call under the instance's timeout and the caller's signal, and turns any failure
 * into a classified ProviderError.
 *
 * @example const out = await awsCall({ service: 'SES', timeoutMs, signal }, (abortSignal) => client.send(cmd, { abortSignal }));
 */
export async function awsCall<T>(options: AwsCallOptions, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
  let signal: AbortSignal | undefined;
  try {
    return await withDeadline(options.timeoutMs, (s) => {
      signal = s;
      return call(s);
    }, options.signal);
  } catch (err) {
    const timedOutNow = signal !== undefined && timedOut(signal);
    throw toAwsProviderError(err, { service: options.service, timedOut: timedOutNow, aborted: options.signal.aborted, timeoutMs: options.timeoutMs, rules: options.rules }) as ProviderError;
  }
}

/** An SDK client built on first use and destroyed on close. */
export interface LazyAwsClient<C> {
  get(): Promise<C>;
  close(): void;
}

/**
 * Builds an SDK client on the first send rather than at load: an AWS service package takes a
 * second or more to import, which `switchboard check` and instances that never send should not pay.
 * A client that cannot be built (its package fails to load) fails that send with a retryable
 * ProviderError, and the next send tries again.
 *
 * @example const ses = lazyAwsClient(async () => new (await import('@aws-sdk/client-sesv2')).SESv2Client(config));
 */
export function lazyAwsClient<C extends { destroy(): void }>(make: () => Promise<C>): LazyAwsClient<C> {
  let client: Promise<C> | undefined;
  return {
    get: () => (client ??= make().catch((err: unknown) => {
      client = undefined;
      throw err instanceof ProviderError ? err : new ProviderError(`the AWS SDK client could not be built: ${(err as Error)?.message ?? String(err)}`, { reason: 'server', cause: err });
    })),
    close() {
      void client?.then((c) => c.destroy(), () => undefined);
    },
  };
}
