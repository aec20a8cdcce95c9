import type { ProviderError } from '../../errors.js';
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
  const deadline = AbortSignal.timeout(options.timeoutMs);
  try {
    return await call(AbortSignal.any([options.signal, deadline]));
  } catch (err) {
    throw toAwsProviderError(err, { service: options.service, timedOut: deadline.aborted, aborted: options.signal.aborted, timeoutMs: options.timeoutMs, rules: options.rules }) as ProviderError;
  }
}
