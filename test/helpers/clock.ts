import type { Clock } from '../../src/clock.js';

/** A clock whose time only moves when the test says so; `advance` runs what fell due, in order. */
export function manualClock(start = 1_000_000) {
  let now = start;
  let pending: { at: number; fn: () => void; id: number }[] = [];
  let seq = 0;
  const clock: Clock = {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      pending.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout(handle) {
      pending = pending.filter((p) => p.id !== handle);
    },
  };
  return {
    clock,
    armed: () => pending.length,
    advance(ms: number) {
      now += ms;
      const due = pending.filter((p) => p.at <= now).sort((a, b) => a.at - b.at || a.id - b.id);
      pending = pending.filter((p) => p.at > now);
      for (const p of due) p.fn();
    },
  };
}

export type ManualClock = ReturnType<typeof manualClock>;
