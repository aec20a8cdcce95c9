import { applyChange, type Change } from './record-changes.js';
import { parseLineText } from './record-line.js';

/**
 * Open records' newest stored versions are kept (in a `ByteBudget`, oldest written first out) as
 * the lines written for them, for when their parsed copies (record-cache.ts) have gone: a receipt
 * then folds these instead of reading the file. A parsed message is hundreds of small objects, each
 * marked at every full collection while cached, and garbage in the old generation once its next
 * version replaces it; a line is one string. With the open messages all parsed, 100k fallbacks
 * firing grew the heap to 900 MB and its collections held timers back by 100–330 ms.
 *
 * These are the lines of one record's newest stored version: the whole line, then its changes in order.
 */
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
