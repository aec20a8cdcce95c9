import { describe, expect, it } from 'vitest';
import { timedOut, withDeadline } from '../../src/plugin-kit/deadline.js';

const aborted = (signal: AbortSignal) => new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));

describe('withDeadline', () => {
  it('times out with a TimeoutError, and leaves a signal that finished in time alone', async () => {
    const reason = await withDeadline(20, (signal) => aborted(signal));
    expect((reason as Error).name).toBe('TimeoutError');
    let kept: AbortSignal | undefined;
    await withDeadline(20, async (signal) => {
      kept = signal;
    });
    await new Promise((r) => setTimeout(r, 40));
    expect(kept?.aborted).toBe(false);
  });

  it('inside a deadline that ends no later, ends with it: on time, or when its caller aborts', async () => {
    const started = performance.now();
    const reason = await withDeadline(30, (outer) => withDeadline(10_000, (signal) => aborted(signal), outer));
    expect((reason as Error).name).toBe('TimeoutError');
    expect(performance.now() - started).toBeLessThan(5_000);

    const caller = new AbortController();
    const cancelled = withDeadline(10_000, (outer) => withDeadline(10_000, (signal) => aborted(signal), outer), caller.signal);
    caller.abort(new Error('the caller gave up'));
    expect(((await cancelled) as Error).message).toBe('the caller gave up');
  });

  it('inside a longer deadline that a caller can abort, ends when the caller aborts', async () => {
    const caller = new AbortController();
    const cancelled = withDeadline(10_000, (outer) => withDeadline(5_000, (signal) => aborted(signal), outer), caller.signal);
    caller.abort(new Error('the caller gave up'));
    expect(((await cancelled) as Error).message).toBe('the caller gave up');
  });

  it('inside a longer deadline, still times out on its own', async () => {
    const result = await withDeadline(10_000, (outer) => withDeadline(20, async (signal) => {
      await aborted(signal);
      return { inner: timedOut(signal), outer: outer.aborted };
    }, outer));
    expect(result).toEqual({ inner: true, outer: false });
  });
});
