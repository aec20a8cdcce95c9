import { setMaxListeners } from 'node:events';

/**
 * What is known of each live `withDeadline` signal (performance.now ms): when its own timer aborts
 * it, and the earliest it can abort at all (sooner if a caller's signal it follows can abort
 * sooner; -Infinity when that is a signal nobody can foretell).
 */
const known = new WeakMap<AbortSignal, { due: number; earliest: number }>();

// From this long on, calls that start within one window share a controller and a timer: each
// aborts between `ms` and `ms` plus the window after it began. Shorter deadlines get their own.
const SHARE_FROM_MS = 1000;
const windowOf = (ms: number) => Math.min(1000, ms / 10);
// Deadlines come from configured timeouts; a caller passing ever new lengths gets its own timers.
const MAX_SHARED_LENGTHS = 32;

/** Per deadline length: the signal of the calls starting in the current window. */
const windows = new Map<number, { signal: AbortSignal; until: number; due: number }>();

function sharedWindow(ms: number, now: number): { signal: AbortSignal; due: number } | undefined {
  let window = windows.get(ms);
  if (window && now < window.until) return window;
  if (!window && windows.size >= MAX_SHARED_LENGTHS) return undefined;
  const width = windowOf(ms);
  const controller = new AbortController();
  // Every call of the window listens to it, and so may each request made with it.
  setMaxListeners(0, controller.signal);
  const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')), ms + width);
  // Nothing waits on it once its calls are done: it must not hold a stopping process open.
  timer.unref();
  window = { signal: controller.signal, until: now + width, due: now + ms + width };
  known.set(controller.signal, { due: window.due, earliest: window.due });
  windows.set(ms, window);
  return window;
}

/**
 * Runs `fn` with a signal that aborts with a `TimeoutError` after `ms` (or when `linked` aborts);
 * a timer of its own is cleared once `fn` settles. A plain controller and timer, not
 * `AbortSignal.timeout` or `AbortSignal.any`: those make transferable signals, and at thousands of
 * calls a second that cost showed in profiles (and `any` keeps every source signal it was given).
 *
 * Nested deadlines (a request within its delivery, a delivery within the bridge's ceiling) cost
 * less: inside one of these deadlines that ends no later, that signal is used as it is; inside
 * one that cannot abort before this one's timer, nothing listens to it. A deadline of a second or
 * more shares its controller and timer with the calls of the same length that started in the
 * same window (a tenth of it, at most a second), so it may end up to that much later: made per
 * call, the two took an undici request from 40 to 60 µs of CPU.
 *
 * @example const text = await withDeadline(10_000, (signal) => fetch(url, { signal }).then((r) => r.text()));
 */
export async function withDeadline<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>, linked?: AbortSignal): Promise<T> {
  const now = performance.now();
  const due = now + ms;
  const outer = linked && known.get(linked);
  if (linked && !linked.aborted && outer && outer.due <= due) return fn(linked);
  // A caller's signal that cannot abort before the shared one does adds nothing to follow; one
  // nobody can foretell is followed, by a controller of this call's own.
  const window = ms >= SHARE_FROM_MS && (!linked || (outer && !linked.aborted)) ? sharedWindow(ms, now) : undefined;
  if (window && (!outer || outer.earliest >= window.due)) return fn(window.signal);
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

/**
 * Tells `withDeadline` that `signal` aborts only by its owner's timer, `inMs` from now: deadlines
 * run within it that end sooner then need not listen to it, and can share their windows.
 *
 * @example foretell(ceiling.signal, 61_000);
 */
export function foretell(signal: AbortSignal, inMs: number): void {
  const due = performance.now() + inMs;
  known.set(signal, { due, earliest: due });
}

/** Whether `signal` was aborted by its `withDeadline` timer (not by the caller). */
export const timedOut = (signal: AbortSignal): boolean => signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError';
