import { COLON, COMMA, NL, QUOTE } from './line-bytes.js';
import type { Reviver } from './snapshot-lines.js';

// Lines parsed per turn of the event loop once the background fill has begun (a few ms each).
const SLICE = 4000;
// Searches of the lines left before the rest is parsed at once: each costs a few milliseconds on
// a large index, so a burst of lookups (a start that indexes recent hours, receipts flooding in)
// pays for a few of them, then for one fill, not for a search each.
const MAX_SEARCHES = 32;

/**
 * Where the `"key":"value"` line at [start, end) splits: the index of the quote closing its key, or
 * -1 when the line is not that shape (a value that is not a string). The caller makes sure the line
 * holds no backslash (no escape), else only a full JSON parse reads it right.
 */
export function plainStringEntry(buf: Buffer, start: number, end: number): number {
  if (buf[start] !== QUOTE || buf[end - 1] !== QUOTE) return -1;
  const keyEnd = buf.indexOf(QUOTE, start + 1);
  if (keyEnd < 0 || keyEnd + 3 >= end || buf[keyEnd + 1] !== COLON || buf[keyEnd + 2] !== QUOTE) return -1;
  return buf.indexOf(QUOTE, keyEnd + 3) === end - 1 ? keyEnd : -1;
}

/**
 * A snapshot collection whose entries are read after the start, not before it: the receipt index
 * (150,000 entries, most of `state.json`, at a start with 100k pending fallbacks and 500k retained
 * messages) is not needed until the first receipt, yet parsing it was most of the snapshot's cost.
 *
 * Only a collection whose every line is a plain `"key":"value"` (checked at open, so a start still
 * refuses what it refused before) is deferred; its lines stay in the file's buffer. Changes made
 * meanwhile (the journal's replay, new sends) are kept in the map itself and win over the
 * snapshot's lines, which are newer in no case. A lookup of a key not yet parsed finds its line in
 * the buffer (one native search; past a few dozen, the rest is parsed instead); anything that needs the whole map (its size, iterating it,
 * deleting from it) parses what is left first. What is left is also parsed in slices in the
 * background once `fillInBackground` is called, after which the buffer is let go.
 */
export class DeferredEntries extends Map<string, unknown> {
  #buf: Buffer | undefined;
  #at: number;
  readonly #end: number;
  readonly #revive: Reviver;
  /** Starts the background fill (once it is planned, until it has begun). */
  #begin: (() => void) | undefined;
  #searches = 0;

  /** `[start, end)`: the collection's entry lines in `buf`, each checked by `plainStringEntry`, with no backslash. */
  constructor(buf: Buffer, start: number, end: number, revive: Reviver) {
    super();
    this.#buf = buf;
    this.#at = start;
    this.#end = end;
    this.#revive = revive;
  }

  /** Whether some snapshot lines are still unparsed. */
  get deferred(): boolean {
    return this.#buf !== undefined;
  }

  override get(key: string): unknown {
    const value = super.get(key);
    return value !== undefined || this.#buf === undefined ? value : this.#find(key);
  }

  override has(key: string): boolean {
    return super.has(key) || (this.#buf !== undefined && this.#find(key) !== undefined);
  }

  override delete(key: string): boolean {
    this.fill();
    return super.delete(key);
  }

  override clear(): void {
    this.#buf = undefined;
    super.clear();
  }

  override get size(): number {
    this.fill();
    return super.size;
  }

  override entries(): MapIterator<[string, unknown]> {
    this.fill();
    return super.entries();
  }

  override keys(): MapIterator<string> {
    this.fill();
    return super.keys();
  }

  override values(): MapIterator<unknown> {
    this.fill();
    return super.values();
  }

  override forEach(fn: (value: unknown, key: string, map: Map<string, unknown>) => void, thisArg?: unknown): void {
    this.fill();
    super.forEach(fn, thisArg);
  }

  override [Symbol.iterator](): MapIterator<[string, unknown]> {
    return this.entries();
  }

  /** Parses up to `lines` more snapshot lines (all of them by default); false once none is left. */
  fill(lines = Infinity): boolean {
    const buf = this.#buf;
    if (buf === undefined) return false;
    let pos = this.#at;
    for (let n = 0; n < lines && pos < this.#end; n++) {
      const end = buf.indexOf(NL, pos);
      this.#adopt(buf, buf[pos] === COMMA ? pos + 1 : pos, end);
      pos = end + 1;
    }
    this.#at = pos;
    if (pos < this.#end) return true;
    this.#buf = undefined;
    return false;
  }

  /**
   * Parses the rest a slice per turn of the event loop, starting `delayMs` from now, or at the
   * first lookup that has to search the lines, whichever comes first: a lookup searches all that
   * is left (a millisecond or two), which is not to be paid by every receipt for long.
   */
  fillInBackground(delayMs: number): void {
    const step = () => {
      if (this.fill(SLICE)) setImmediate(step).unref();
    };
    const timer = setTimeout(() => this.#startFill(), delayMs).unref();
    this.#begin = () => {
      clearTimeout(timer);
      step();
    };
  }

  #startFill(): void {
    const begin = this.#begin;
    this.#begin = undefined;
    begin?.();
  }

  /** A snapshot line's entry, unless the map holds a newer value for its key. */
  #adopt(buf: Buffer, start: number, end: number): unknown {
    const keyEnd = buf.indexOf(QUOTE, start + 1);
    const key = buf.utf8Slice(start + 1, keyEnd);
    if (super.has(key)) return undefined;
    const value = this.#revive(key, buf.utf8Slice(keyEnd + 3, end - 1));
    super.set(key, value);
    return value;
  }

  /** The line for `key` among those not parsed yet, taken into the map. */
  #find(key: string): unknown {
    if (++this.#searches > MAX_SEARCHES) {
      this.fill();
      return super.get(key);
    }
    const buf = this.#buf!;
    if (this.#begin) setImmediate(() => this.#startFill()).unref();
    const quoted = JSON.stringify(key);
    // Deferred lines hold no escape, so a key that needs one is not among them.
    if (quoted.includes('\\')) return undefined;
    const needle = Buffer.from(`${quoted}:"`);
    for (let at = buf.indexOf(needle, this.#at); at >= 0 && at < this.#end; at = buf.indexOf(needle, at + 1)) {
      // A line's start: the key's quote first in it, or after the comma that separates entries.
      const lineStart = buf[at - 1] === NL || (buf[at - 1] === COMMA && buf[at - 2] === NL);
      if (lineStart) return this.#adopt(buf, at, buf.indexOf(NL, at));
    }
    return undefined;
  }
}
