import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { foretell, timedOut, withDeadline } from '../../src/plugin-kit/deadline.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
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

describe('withDeadline: deadlines of a second or more share a window', () => {
  it('calls of one length that start together get one signal, which times out after that length and within its window', async () => {
    const started = performance.now();
    const signals: AbortSignal[] = [];
    const reasons = await Promise.all([1, 2].map(() => withDeadline(1000, (signal) => {
      signals.push(signal);
      return aborted(signal);
    })));
    const elapsed = performance.now() - started;
    expect(signals[0]).toBe(signals[1]);
    expect(reasons.map((r) => (r as Error).name)).toEqual(['TimeoutError', 'TimeoutError']);
    expect(elapsed).toBeGreaterThanOrEqual(990);
    // The window of a 1 s deadline is 100 ms; the rest is a loaded machine's slack.
    expect(elapsed).toBeLessThan(3000);
  });

  it('inside one of the same length, uses it; a caller that can abort sooner is still followed', async () => {
    expect(await withDeadline(2000, (outer) => withDeadline(2000, async (inner) => inner === outer, outer))).toBe(true);

    const caller = new AbortController();
    let followed: AbortSignal | undefined;
    const cancelled = withDeadline(2000, (signal) => {
      followed = signal;
      return aborted(signal);
    }, caller.signal);
    const unlinked = await withDeadline(2000, async (signal) => signal);
    expect(followed).not.toBe(unlinked);
    caller.abort(new Error('the caller gave up'));
    expect(((await cancelled) as Error).message).toBe('the caller gave up');
    expect(unlinked.aborted).toBe(false);
  });

  it('does not keep a process that is done from exiting', () => {
    const script = "import { withDeadline } from './src/plugin-kit/deadline.ts'; await withDeadline(60_000, async () => 'done');";
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, timeout: 20_000, encoding: 'utf8' });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe(0);
  });
});

describe('foretell', () => {
  it("a deadline within a signal foretold to abort later shares its window; within one foretold to abort sooner, uses that one", async () => {
    const ceiling = new AbortController();
    foretell(ceiling.signal, 61_000);
    const inside = await withDeadline(2000, async (signal) => signal, ceiling.signal);
    const alone = await withDeadline(2000, async (signal) => signal);
    expect(inside).toBe(alone);

    const sooner = new AbortController();
    foretell(sooner.signal, 500);
    expect(await withDeadline(2000, async (signal) => signal, sooner.signal)).toBe(sooner.signal);
  });
});
