/**
 * What is known of each live `withDeadline` signal (performance.now ms): when its own timer aborts
 * it, and the earliest it can abort at all (sooner if a caller's signal it follows can abort
 * sooner; -Infinity when that is a signal nobody can foretell).
 */
const known = new WeakMap<AbortSignal, { due: number; earliest: number }>();

/**
 * Runs `fn` with a signal that aborts with a `TimeoutError` after `ms` (or when `linked` aborts),
 * and clears its timer once `fn` settles. A plain controller and timer, not `AbortSignal.timeout`
 * or `AbortSignal.any`: those make transferable signals, and at thousands of calls a second that
 * cost showed in profiles (and `any` keeps every source signal it was given).
 *
 * Nested deadlines (a request within its delivery, a delivery within the bridge's ceiling) cost
 * less: inside one of these deadlines that ends no later, that signal is used as it is; inside
 * one that cannot abort before this one's timer, nothing listens to it.
 *
 * @example const text = await withDeadline(10_000, (signal) => fetch(url, { signal }).then((r) => r.text()));
 */
export async function withDeadline<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>, linked?: AbortSignal): Promise<T> {
  const due = performance.now() + ms;
  const outer = linked && known.get(linked);
  if (linked && !linked.aborted && outer && outer.due <= due) return fn(linked);
  const controller = new AbortController();
  const earliest = !linked ? due : Math.min(due, outer ? outer.earliest : -Infinity);
  known.set(controller.signal, { due, earliest });
  const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')), ms);
  const onAbort = () => controller.abort(linked?.reason);
  // Once this timer fired, a later abort of `linked` changes nothing (the first reason stays).
  const follow = linked !== undefined && !(outer && outer.earliest >= due);
  if (linked?.aborted) onAbort();
  else if (follow) linked.addEventListener('abort', onAbort, { once: true });
  try {
    return await fn(controller.signal);
  } finally {
    clearTimeout(timer);
    if (follow) linked.removeEventListener('abort', onAbort);
  }
}

/** Whether `signal` was aborted by its `withDeadline` timer (not by the caller). */
export const timedOut = (signal: AbortSignal): boolean => signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError';
