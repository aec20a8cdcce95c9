/**
 * Entries kept within a budget of bytes, each weighing what it says (`bytes`). The Map's order is
 * the entries' age: a set makes an entry the youngest, and the oldest go first when over budget
 * (a caller that wants LRU moves an entry it used to the young end itself).
 */
export class ByteBudget<E extends { bytes: number }> {
  readonly entries = new Map<string, E>();
  bytes = 0;
  // Where eviction goes on from. A Map keeps a deleted entry's slot until it grows or shrinks, and
  // a new iterator steps over every such slot from the front: evicting the oldest through a fresh
  // `for…of` at each set cost 2 % of an accept (four times this, measured alone). An iterator
  // kept from one eviction to the next steps over each slot once; entries set later come after it.
  #oldest: MapIterator<[string, E]> | undefined;

  constructor(readonly maxBytes: number) {}

  /** Keeps `entry` for `id` as the youngest, replacing what `id` had; one over the whole budget is not kept. */
  set(id: string, entry: E): void {
    this.delete(id);
    if (entry.bytes > this.maxBytes) return;
    this.entries.set(id, entry);
    this.bytes += entry.bytes;
    while (this.bytes > this.maxBytes) {
      let next = this.#oldest?.next();
      // A finished iterator stays finished, entries set after it included: start again.
      if (!next || next.done) next = (this.#oldest = this.entries.entries()).next();
      if (next.done) return;
      const [oldest, kept] = next.value;
      this.entries.delete(oldest);
      this.bytes -= kept.bytes;
    }
  }

  delete(id: string): void {
    const kept = this.entries.get(id);
    if (!kept) return;
    this.entries.delete(id);
    this.bytes -= kept.bytes;
  }

  deleteWhere(matches: (id: string) => boolean): void {
    for (const id of [...this.entries.keys()]) if (matches(id)) this.delete(id);
  }
}
