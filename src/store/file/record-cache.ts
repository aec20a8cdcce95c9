/**
 * Parsed records kept after use, least recently used first out, bounded by the bytes of their
 * stored lines (a record with a 500 kB `html` costs what it weighs, not one slot).
 */
export class RecordCache<T> {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, { record: T; bytes: number }>();
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(id: string): T | undefined {
    const hit = this.#entries.get(id);
    if (!hit) return undefined;
    // Map order is the LRU order: a hit moves to the young end.
    this.#entries.delete(id);
    this.#entries.set(id, hit);
    return hit.record;
  }

  /** A look that does not count as a use (listing must not reorder or evict the hot records). */
  peek(id: string): T | undefined {
    return this.#entries.get(id)?.record;
  }

  set(id: string, record: T, bytes: number): void {
    this.delete(id);
    if (bytes > this.#maxBytes) return;
    this.#entries.set(id, { record, bytes });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }

  delete(id: string): void {
    const hit = this.#entries.get(id);
    if (!hit) return;
    this.#entries.delete(id);
    this.#bytes -= hit.bytes;
  }

  /** Drops every record `matches` selects (a deleted partition's). */
  deleteWhere(matches: (id: string) => boolean): void {
    for (const id of [...this.#entries.keys()]) if (matches(id)) this.delete(id);
  }
}
