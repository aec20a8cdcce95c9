import type { KeyValue, StoreOptions } from '../store.js';
import type { HotState } from './hot-state.js';
import { hotKeyValue } from './key-value.js';
import { segmentKey } from './segment-key.js';
import type { SegmentLog } from './segment-log.js';

const HOUR = 3_600_000;
/** Attempt key → message id, journaled like any hot state. */
const ENTRIES = 'attemptIndex';
/** `from` → ms: the index holds the keys of every stored message with an id time at or after it. */
const COVERAGE = 'attemptIndexCoverage';
const FROM = 'from';

/** The collection of entries: read after the start (a receipt's lookup finds its line before that). */
export const ATTEMPT_INDEX_ENTRIES = ENTRIES;
/** The hot-state collections the persisted attempt index lives in. */
export const ATTEMPT_INDEX_COLLECTIONS = [ENTRIES, COVERAGE] as const;

/**
 * The receipt index of the file store, persisted in the hot state. An entry is set before the
 * message version holding its attempt is put, and the group commit takes the journal's changes
 * in the same tick as the segments' lines, so a commit that stores an attempt's provider id also
 * stores its entry: a crash anywhere leaves both or neither. A start then reads the index with
 * the rest of the hot state instead of parsing the window's messages.
 *
 * The coverage mark says how far back the index is complete. It is missing in a store written
 * before the index was persisted (or by a version that dropped it) and may not reach back far
 * enough after the window grew: then the hours it lacks are parsed once, their keys journaled,
 * and the mark moved, all in the next commit.
 *
 * @example
 *   const { index } = await AttemptIndex.open(hot, messages, attemptKeys, now - window);
 *   index.entries.set('twilio-us/SM123', message.id); messages.collection.put(message); await gc.commit();
 */
export class AttemptIndex {
  readonly entries: KeyValue<string>;
  readonly #coverage: KeyValue<number>;

  private constructor(hot: HotState) {
    this.entries = hotKeyValue<string>(hot, ENTRIES);
    this.#coverage = hotKeyValue<number>(hot, COVERAGE);
  }

  /**
   * Opens the index and fills in what it lacks of the window starting at `windowStart`;
   * returns it with the number of hours it had to parse.
   */
  static async open<M extends { id: string }>(hot: HotState, messages: SegmentLog<M>, indexKeys: StoreOptions<M>['indexKeys'], windowStart: number): Promise<{ index: AttemptIndex; hoursParsed: number }> {
    const index = new AttemptIndex(hot);
    const from = index.#coverage.get(FROM);
    if (from !== undefined && from <= windowStart) return { index, hoursParsed: 0 };
    // Whole hours are parsed: the mark moves to the start of the first one.
    const firstKey = segmentKey(windowStart);
    const lastKey = from === undefined ? undefined : segmentKey(from);
    let hoursParsed = 0;
    for (const key of messages.keys()) {
      if (key < firstKey) continue;
      if (lastKey !== undefined && key > lastKey) break;
      hoursParsed += 1;
      await messages.forEach(key, (m) => {
        for (const k of indexKeys(m)) if (index.entries.get(k) !== m.id) index.entries.set(k, m.id);
      });
    }
    index.#coverage.set(FROM, Math.floor(windowStart / HOUR) * HOUR);
    return { index, hoursParsed };
  }

  /** Retention dropped the entries of messages older than `cutoff`: the index covers less. */
  expired(cutoff: number): void {
    if ((this.#coverage.get(FROM) ?? 0) < cutoff) this.#coverage.set(FROM, cutoff);
  }
}
