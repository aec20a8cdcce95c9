import { executionAsyncId } from 'node:async_hooks';

/**
 * Whether this process tracks promises with async hooks now (an AsyncLocalStorage that ran turns
 * that on for good on Node 20): a promise reaction then runs under an async id of its own.
 */
export async function promiseHooksOn(): Promise<boolean> {
  const outside = executionAsyncId();
  return (await Promise.resolve().then(() => executionAsyncId())) !== outside;
}
