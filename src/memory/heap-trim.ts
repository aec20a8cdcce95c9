import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

// V8 keeps the old-space pages a burst made it take whenever a few objects still alive (the record
// cache, hot state) are scattered over them: a regular full collection only moves objects off pages
// that are mostly free, and the memory reducer, which would compact more, did not run in the daemon
// (bench --only burst: 203 MiB of old space kept over 71 MiB in use, 40 s after the drain as after 10).

export interface HeapTrimSettings {
  /** How often the heap and the loop are looked at (ms). */
  everyMs: number;
  /** Free old space below this is left alone: V8 will use it again soon enough. */
  minFreeBytes: number;
  /** …and so is free space below this share of old space (a big heap's normal slack). */
  minFreeShare: number;
  /** Event-loop utilization over a check above which the process is not quiet. */
  maxBusy: number;
  /** How long the loop must have been quiet (ms, whole checks). */
  minQuietMs: number;
  /** At least this long between two trims (ms): their cost stays bounded whatever the traffic. */
  minGapMs: number;
}

export const HEAP_TRIM_DEFAULTS: HeapTrimSettings = {
  everyMs: 2_000,
  minFreeBytes: 64 * 2 ** 20,
  minFreeShare: 0.5,
  // After a burst the daemon still has work for some seconds, longer on a loaded machine (a
  // tenth missed the bench's 10 s): a loop busy a quarter of the time is a trickle one pause spares.
  maxBusy: 0.25,
  minQuietMs: 2_000,
  minGapMs: 60_000,
};

/** What one check sees: old space as reserved and in use, how long the loop has been quiet, the last trim's age. */
export interface HeapTrimView {
  oldSize: number;
  oldUsed: number;
  quietMs: number;
  sinceLastTrimMs: number;
}

export function shouldTrim(view: HeapTrimView, settings: HeapTrimSettings = HEAP_TRIM_DEFAULTS): boolean {
  const free = view.oldSize - view.oldUsed;
  return free >= settings.minFreeBytes && free >= view.oldSize * settings.minFreeShare && view.quietMs >= settings.minQuietMs && view.sinceLastTrimMs >= settings.minGapMs;
}

export interface HeapTrimResult {
  oldBefore: number;
  oldAfter: number;
  usedAfter: number;
  pauseMs: number;
}

function oldSpace(): { size: number; used: number } {
  const old = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space');
  return { size: old?.space_size ?? 0, used: old?.space_used_size ?? 0 };
}

let collect: (() => void) | undefined;

/**
 * A full collection that moves every live object of old space onto as few pages as it takes, so
 * the rest are freed. `gc` is taken from a fresh context (the flag that names it is set only
 * while that context is made): the main context's globals stay as they were.
 */
export function compactHeap(): HeapTrimResult {
  if (!collect) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (!exposed) v8.setFlagsFromString('--expose-gc');
    collect = exposed ?? (vm.runInNewContext('gc') as () => void);
    if (!exposed) v8.setFlagsFromString('--no-expose-gc');
  }
  const before = oldSpace();
  const started = performance.now();
  v8.setFlagsFromString('--compact-on-every-full-gc');
  try {
    collect();
  } finally {
    v8.setFlagsFromString('--no-compact-on-every-full-gc');
  }
  const after = oldSpace();
  return { oldBefore: before.size, oldAfter: after.size, usedAfter: after.used, pauseMs: performance.now() - started };
}

/**
 * Gives back the heap a burst left behind: once the event loop was quiet for a whole check and old
 * space holds much more free room than its live objects need, one full collection compacts every
 * page. That is a pause (as long as the live heap takes to copy: tens to a few hundred ms) at a
 * time nothing waits, instead of an RSS that stays at the burst's peak. The timer does not keep the
 * process alive.
 *
 * @example
 *   const trim = startHeapTrim((r) => logger.info(r, 'heap compacted after a burst')); … trim.stop();
 */
export function startHeapTrim(onTrim: (result: HeapTrimResult) => void, settings: HeapTrimSettings = HEAP_TRIM_DEFAULTS): { stop(): void } {
  let loop = performance.eventLoopUtilization();
  let lastTrim = -Infinity;
  let quietMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const delta = performance.eventLoopUtilization(loop);
    loop = performance.eventLoopUtilization();
    quietMs = delta.utilization <= settings.maxBusy ? quietMs + settings.everyMs : 0;
    const { size, used } = oldSpace();
    if (!shouldTrim({ oldSize: size, oldUsed: used, quietMs, sinceLastTrimMs: now - lastTrim }, settings)) return;
    lastTrim = now;
    onTrim(compactHeap());
  }, settings.everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
