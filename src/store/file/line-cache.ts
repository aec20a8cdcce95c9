import { applyChange, type Change } from './record-changes.js';
import { parseLineText } from './record-line.js';

/** The lines of one record's newest stored version: the whole line, then its changes in order. */
export interface KeptLines {
  lines: string[];
  /** The segment they are in, where the newest starts, and (as a change names them) its chain. */
  file: object;
  offset: number;
  depth: number;
  rootBytes: number;
  /** Bytes of every line, and of the newest alone. */
  bytes: number;
  newest: number;
}

/**
 * Open records' newest stored versions kept as the lines written for them, for when their parsed
 * copies (record-cache.ts) have gone: a receipt then folds these instead of reading the file. A
 * parsed message is hundreds of small objects, each marked at every full collection while cached,
 * and garbage in the old generation once its next version replaces it; a line is one string. With
 * the open messages all parsed, 100k fallbacks firing grew the heap to 900 MB and its collections
 * held timers back by 100–330 ms. Bounded by the lines' bytes, oldest written first out.
 */
export class LineCache {
  readonly #entries = new Map<string, KeptLines>();
  #bytes = 0;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.#bytes;
  }

  get(id: string): KeptLines | undefined {
    return this.#entries.get(id);
  }

  set(id: string, kept: KeptLines): void {
    this.delete(id);
    if (kept.bytes > this.maxBytes) return;
    this.#entries.set(id, kept);
    this.#bytes += kept.bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }

  delete(id: string): void {
    const kept = this.#entries.get(id);
    if (!kept) return;
    this.#entries.delete(id);
    this.#bytes -= kept.bytes;
  }

  deleteWhere(matches: (id: string) => boolean): void {
    for (const id of [...this.#entries.keys()]) if (matches(id)) this.delete(id);
  }
}

/** The record the kept lines stand for: the whole line with each change applied in turn. */
export function foldLines<T>(lines: readonly string[]): T {
  const first = parseLineText<T>(lines[0]);
  if (!('whole' in first)) throw new Error('kept lines must start with a whole record');
  let record = first.whole;
  for (let i = 1; i < lines.length; i += 1) {
    const next = parseLineText<T>(lines[i]);
    if ('whole' in next) throw new Error('a kept change line holds a whole record');
    record = applyChange(record, next.change as Change);
  }
  return record;
}
