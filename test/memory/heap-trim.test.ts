import { describe, expect, it } from 'vitest';
import { compactHeap, HEAP_TRIM_DEFAULTS, shouldTrim, type HeapTrimView } from '../../src/memory/heap-trim.js';

const MiB = 2 ** 20;
// Old space as a 100,000-message burst left it (bench --only burst), on a loop that went quiet.
const afterBurst: HeapTrimView = { oldSize: 203 * MiB, oldUsed: 71 * MiB, quietMs: HEAP_TRIM_DEFAULTS.minQuietMs, sinceLastTrimMs: Infinity };

describe('heap trim', () => {
  it('compacts once the loop is quiet and old space is mostly free room', () => {
    expect(shouldTrim(afterBurst)).toBe(true);
  });

  it('leaves a process alone until its loop has been quiet long enough, whatever the free room', () => {
    expect(shouldTrim({ ...afterBurst, quietMs: 0 })).toBe(false);
    expect(shouldTrim({ ...afterBurst, quietMs: HEAP_TRIM_DEFAULTS.minQuietMs - HEAP_TRIM_DEFAULTS.everyMs })).toBe(false);
  });

  it('leaves small slack alone, in bytes and as a share of old space', () => {
    expect(shouldTrim({ ...afterBurst, oldSize: 100 * MiB, oldUsed: 40 * MiB })).toBe(false);
    expect(shouldTrim({ ...afterBurst, oldSize: 1000 * MiB, oldUsed: 800 * MiB })).toBe(false);
  });

  it('does not trim again before the gap has passed', () => {
    expect(shouldTrim({ ...afterBurst, sinceLastTrimMs: HEAP_TRIM_DEFAULTS.minGapMs - 1 })).toBe(false);
    expect(shouldTrim({ ...afterBurst, sinceLastTrimMs: HEAP_TRIM_DEFAULTS.minGapMs })).toBe(true);
  });

  it('frees the pages that objects still alive were scattered over', () => {
    // Half of a million small objects survive, every other one, so each page stays half full:
    // a regular full collection moves at most a few MiB off such pages; a compacting one, all.
    let held: { n: number; pad: string }[] = Array.from({ length: 1_000_000 }, (_, n) => ({ n, pad: `p${n}` }));
    compactHeap();
    held = held.filter((o) => o.n % 2 === 0);
    const r = compactHeap();
    expect(r.oldBefore - r.oldAfter).toBeGreaterThan(20 * MiB);
    expect(r.usedAfter).toBeLessThanOrEqual(r.oldAfter);
    expect(held).toHaveLength(500_000);
  });
});
