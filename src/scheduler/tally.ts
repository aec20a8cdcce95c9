import type { TimerRecord } from '../model.js';

/**
 * Stored timers of one kind counted by a payload field, kept as timers are set and deleted: a
 * metrics scrape every second must not walk 100k pending timers (that walk stalled the loop ~25 ms).
 * Counting starts at the first read, from one walk; until then set and delete cost nothing.
 */
export class TimerTally {
  #counts: Map<string, number> | undefined;

  constructor(
    readonly kind: string,
    readonly field: string,
  ) {}

  /** Whether counts are kept yet: until then a caller need not look up what a change replaces. */
  get counting(): boolean {
    return this.#counts !== undefined;
  }

  read(all: () => Iterable<TimerRecord>): Map<string, number> {
    if (!this.#counts) {
      this.#counts = new Map();
      for (const t of all()) this.added(t);
    }
    return new Map(this.#counts);
  }

  added(timer: TimerRecord): void {
    if (this.#counts && timer.kind === this.kind) this.#bump(timer, 1);
  }

  removed(timer: TimerRecord | undefined): void {
    if (this.#counts && timer?.kind === this.kind) this.#bump(timer, -1);
  }

  #bump(timer: TimerRecord, by: number): void {
    const counts = this.#counts!;
    const key = String(timer.payload[this.field]);
    const n = (counts.get(key) ?? 0) + by;
    if (n > 0) counts.set(key, n);
    else counts.delete(key);
  }
}
