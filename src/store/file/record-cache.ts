import { ByteBudget } from './byte-budget.js';

type Budgeted<T, V> = ByteBudget<{ record: T; bytes: number; version?: V }>;

/** Which records are open, and the bytes they may take beside the rest. */
export interface OpenRecords<T> {
  isOpen: (record: T) => boolean;
  maxBytes: number;
}

/**
 * Parsed records kept after use, least recently used first out, bounded by the bytes of their
 * stored lines (a record with a 500 kB `html` costs what it weighs, not one slot). Records `open`
 * names (a message still routing, or whose attempt waits for a receipt) are about to be read again:
 * they have a budget of their own, so a burst of other records never pushes them out.
 */
export class RecordCache<T, V = never> {
  readonly #isOpen: (record: T) => boolean;
  // Each Map's order is its LRU order: a hit moves to the young end.
  readonly #open: Budgeted<T, V>;
  readonly #rest: Budgeted<T, V>;

  constructor(maxBytes: number, open?: OpenRecords<T>) {
    this.#isOpen = open?.isOpen ?? (() => false);
    this.#open = new ByteBudget(open?.maxBytes ?? 0);
    this.#rest = new ByteBudget(maxBytes);
  }

  get bytes(): number {
    return this.#open.bytes + this.#rest.bytes;
  }

  get size(): number {
    return this.#open.entries.size + this.#rest.entries.size;
  }

  get(id: string): T | undefined {
    const part = this.#holding(id);
    const hit = part?.entries.get(id);
    if (!part || !hit) return undefined;
    part.entries.delete(id);
    part.entries.set(id, hit);
    return hit.record;
  }

  /** A look that does not count as a use (listing must not reorder or evict the hot records). */
  peek(id: string): T | undefined {
    return (this.#open.entries.get(id) ?? this.#rest.entries.get(id))?.record;
  }

  /** What `set` was told of the stored version the record was read or written as. */
  version(id: string): V | undefined {
    return (this.#open.entries.get(id) ?? this.#rest.entries.get(id))?.version;
  }

  /**
   * Keeps `record`, deciding again whether it is open: every stored change of a record comes here,
   * with `version`, what the store knows of where it wrote it (dropped with the record).
   */
  set(id: string, record: T, bytes: number, version?: V): void {
    this.delete(id);
    const part = this.#isOpen(record) && bytes <= this.#open.maxBytes ? this.#open : this.#rest;
    part.set(id, { record, bytes, version });
  }

  delete(id: string): void {
    this.#holding(id)?.delete(id);
  }

  /** Drops every record `matches` selects (a deleted partition's). */
  deleteWhere(matches: (id: string) => boolean): void {
    this.#open.deleteWhere(matches);
    this.#rest.deleteWhere(matches);
  }

  #holding(id: string): Budgeted<T, V> | undefined {
    return this.#open.entries.has(id) ? this.#open : this.#rest.entries.has(id) ? this.#rest : undefined;
  }
}
