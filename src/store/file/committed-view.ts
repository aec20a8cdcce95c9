// A key had no value at the commit point.
const ABSENT = Symbol('absent');
// The fold has written the key: what it becomes later belongs to the next snapshot.
const WRITTEN = Symbol('written');

/**
 * The hot state as it was at one commit point, read while the live maps go on changing: a fold
 * writes a slice at a time while later commits carry on, and its snapshot must hold what was
 * committed then, not a change made after it (a crash before that change's own commit would find
 * it in the snapshot, or find a deleted entry gone, with its deletion never committed).
 *
 * Each change keeps, at the key's first change after the commit point, the value it had (`before`,
 * called ahead of the change). A key the fold has written is marked, so a later change is not kept.
 *
 * @example
 *   const view = new CommittedView();            // at the commit point
 *   view.before('timers', 't1', timers); timers.delete('t1');
 *   for (const [k, v] of view.entries('timers', timers)) …   // t1 still there, as committed
 */
export class CommittedView {
  readonly #kept = new Map<string, Map<string, unknown>>();

  /** Call before changing `key` of the collection `name` held in `map`. */
  before(name: string, key: string, map: ReadonlyMap<string, unknown>): void {
    const kept = this.#of(name);
    if (!kept.has(key)) kept.set(key, map.has(key) ? map.get(key) : ABSENT);
  }

  /** The collection's entries as committed; `map` may change between the steps of the iteration. */
  *entries(name: string, map: ReadonlyMap<string, unknown>): Generator<[string, unknown]> {
    const kept = this.#of(name);
    for (const [key, value] of map) {
      const was = kept.has(key) ? kept.get(key) : value;
      // A key deleted and set again comes round a second time; it was written the first.
      if (was === WRITTEN) continue;
      kept.set(key, WRITTEN);
      if (was !== ABSENT) yield [key, was];
    }
    // Keys deleted before the live iteration reached them.
    for (const [key, was] of kept) {
      if (was === WRITTEN || was === ABSENT) continue;
      kept.set(key, WRITTEN);
      yield [key, was];
    }
  }

  #of(name: string): Map<string, unknown> {
    let kept = this.#kept.get(name);
    if (!kept) this.#kept.set(name, (kept = new Map()));
    return kept;
  }
}
