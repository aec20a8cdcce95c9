/**
 * `state.json` with one entry a line. The file is still one JSON document (older versions read it
 * with JSON.parse as before), laid out so that a start reads it line by line, taking the common
 * shapes apart without JSON.parse or the intermediate objects it would build:
 *
 *   {"generation":7,"segmentEnds":{…},"collections":{
 *   "timers":{
 *   "01K….0.timeout":{"kind":"step-timeout","due":1795949925882}
 *   ,"consent-release:…":{"id":…}
 *   }
 *   ,"attemptIndex":{
 *   "mock-sms/p1":"01K…"
 *   }
 *   }}
 */

import { PackedTimer } from '../timer-record.js';
import { DeferredEntries, plainStringEntry } from './deferred-entries.js';
import { BACKSLASH, CLOSE, COLON, COMMA, NL, OPEN, QUOTE } from './line-bytes.js';

/** Turns a value read back into what the map keeps. */
export type Reviver = (key: string, value: unknown) => unknown;

/** How a collection's values are kept; `packed` takes `{"kind":K,"due":N}` values apart without JSON.parse. */
export interface CollectionReader {
  revive: Reviver;
  packed?: (key: string, kind: string, due: number) => unknown;
  /** Read after the start when every line is a plain `"key":"value"` (deferred-entries.ts). */
  deferred?: boolean;
}

export interface ReadSnapshot {
  generation: number;
  segmentEnds?: Record<string, number>;
  collections: Record<string, Map<string, unknown>>;
}

/** The first line of a snapshot with one entry a line (what follows it is not part of it). */
export function headerLine(generation: number, segmentEnds: Record<string, number> | undefined): string {
  return `{"generation":${generation},${segmentEnds ? `"segmentEnds":${JSON.stringify(segmentEnds)},` : ''}"collections":{\n`;
}

/** The line that opens a collection; `first` for the first one in the file. */
export const collectionLine = (name: string, first: boolean): string => `${first ? '' : ','}${JSON.stringify(name)}:{\n`;

// A string with none of these is its own JSON text between quotes (JSON.stringify escapes lone
// surrogates too, so every surrogate goes the slow way). Timer ids, kinds and receipt-index keys
// and values have none: a fold of 200k entries then builds no JSON through the serializer.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
const jsonString = (s: string): string => (NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`);

function valueJson(value: unknown): string {
  if (typeof value === 'string') return jsonString(value);
  if (value instanceof PackedTimer && Number.isSafeInteger(value.due)) return `{"kind":${jsonString(value.kind)},"due":${value.due}}`;
  return JSON.stringify(value);
}

/** One entry's line; `first` for the first one in its collection. */
export const entryLine = (key: string, value: unknown, first: boolean): string => `${first ? '' : ','}${jsonString(key)}:${valueJson(value)}\n`;

export const COLLECTION_END = '}\n';
export const DOCUMENT_END = '}}\n';

const HEADER = /^\{"generation":\d+,(?:"segmentEnds":\{[^\n]*\},)?"collections":\{$/;
const KIND = '{"kind":"';
const DUE = '","due":';

class NotLines extends Error {}

// Buffer's own decoder, without toString's argument checks: 250k calls at a start with 100k
// pending fallbacks. (Node has it on every Buffer; its types do not name it.)
declare module 'node:buffer' {
  interface Buffer {
    utf8Slice(start: number, end: number): string;
  }
}

/**
 * Reads `state.json` as written by either layout: one entry a line, or (before it, and as any
 * other writer may have left it) one JSON document of any shape, parsed whole. Either way each
 * value passes its collection's reviver. A document cut short or otherwise not JSON throws.
 */
export function readSnapshot(buf: Buffer, readerOf: (name: string) => CollectionReader): ReadSnapshot {
  try {
    return readLines(buf, readerOf);
  } catch (err) {
    if (!(err instanceof NotLines)) throw err;
  }
  const doc = JSON.parse(buf.toString('utf8')) as { generation?: number; segmentEnds?: Record<string, number>; collections?: Record<string, Record<string, unknown>> };
  const collections: Record<string, Map<string, unknown>> = {};
  for (const [name, records] of Object.entries(doc.collections ?? {})) {
    const { revive } = readerOf(name);
    const map = new Map<string, unknown>();
    // for…in, not Object.entries: no [key, value] array per entry. A parsed object inherits nothing enumerable.
    for (const k in records) map.set(k, revive(k, records[k]));
    collections[name] = map;
  }
  return { generation: doc.generation ?? 0, segmentEnds: doc.segmentEnds, collections };
}

function readLines(buf: Buffer, readerOf: (name: string) => CollectionReader): ReadSnapshot {
  const firstEnd = buf.indexOf(NL);
  if (firstEnd < 0) throw new NotLines();
  const first = buf.toString('utf8', 0, firstEnd);
  if (!HEADER.test(first)) throw new NotLines();
  const head = JSON.parse(`${first}}}`) as { generation: number; segmentEnds?: Record<string, number> };
  const collections: Record<string, Map<string, unknown>> = {};
  const scan = new Scan(buf);
  let map: Map<string, unknown> | undefined;
  let reader: CollectionReader | undefined;
  for (let pos = firstEnd + 1; pos < buf.length;) {
    let end = buf.indexOf(NL, pos);
    if (end < 0) end = buf.length;
    if (map === undefined) {
      if (end - pos === 2 && buf[pos] === CLOSE && buf[pos + 1] === CLOSE) {
        // Only whitespace may follow the document's end.
        if (buf.subarray(end).toString('latin1').trim() !== '') throw new NotLines();
        return { generation: head.generation, segmentEnds: head.segmentEnds, collections };
      }
      const name = nameOfOpening(buf, pos, end);
      reader = readerOf(name);
      const closing = reader.deferred ? plainLinesUntilClosing(buf, end + 1) : -1;
      if (closing >= 0) {
        collections[name] = new DeferredEntries(buf, end + 1, closing, reader.revive);
        pos = closing + 2;
        continue;
      }
      map = new Map();
      collections[name] = map;
    } else if (end - pos === 1 && buf[pos] === CLOSE) {
      map = undefined;
    } else {
      readEntry(scan, buf[pos] === COMMA ? pos + 1 : pos, end, map, reader!);
    }
    pos = end + 1;
  }
  // No closing line: a document cut short, which JSON.parse will refuse as well.
  throw new NotLines();
}

/**
 * Where the collection whose entries begin at `pos` closes (its `}` line), if every entry line is a
 * plain `"key":"value"`; else -1 (including a file cut short, which the caller then refuses).
 */
function plainLinesUntilClosing(buf: Buffer, pos: number): number {
  // An escape anywhere among the lines rules them all out: one search, not one per line.
  const backslash = buf.indexOf(BACKSLASH, pos);
  while (pos < buf.length) {
    const end = buf.indexOf(NL, pos);
    if (end < 0) return -1;
    if (end - pos === 1 && buf[pos] === CLOSE) return backslash >= 0 && backslash < pos ? -1 : pos;
    if (plainStringEntry(buf, buf[pos] === COMMA ? pos + 1 : pos, end) < 0) return -1;
    pos = end + 1;
  }
  return -1;
}

function nameOfOpening(buf: Buffer, pos: number, end: number): string {
  const start = buf[pos] === COMMA ? pos + 1 : pos;
  if (buf[start] !== QUOTE || buf[end - 1] !== OPEN || buf[end - 2] !== COLON || buf[end - 3] !== QUOTE) throw new NotLines();
  return JSON.parse(buf.toString('utf8', start, end - 2)) as string;
}

/**
 * The file with where its next backslash is: a line before it has no escapes, so its strings
 * end at their next quote (found with native `indexOf`, not a loop over every byte).
 */
class Scan {
  readonly buf: Buffer;
  #backslash = -1;
  readonly kinds = new KindStrings();

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  /** Whether [start, end) holds no backslash. */
  plain(start: number, end: number): boolean {
    if (this.#backslash < start) {
      const next = this.buf.indexOf(BACKSLASH, start);
      this.#backslash = next < 0 ? this.buf.length : next;
    }
    return this.#backslash >= end;
  }
}

/** `"key":value` at [start, end): with no escapes in the line, the key and a `{"kind","due"}` or string value are taken apart here. */
function readEntry(scan: Scan, start: number, end: number, map: Map<string, unknown>, reader: CollectionReader): void {
  const buf = scan.buf;
  if (buf[start] !== QUOTE) throw new NotLines();
  const keyEnd = scan.plain(start, end) ? buf.indexOf(QUOTE, start + 1) : -1;
  if (keyEnd < 0 || keyEnd >= end || buf[keyEnd + 1] !== COLON) {
    // Escapes: the line is one member of an object.
    const member = JSON.parse(`{${buf.toString('utf8', start, end)}}`) as Record<string, unknown>;
    for (const k in member) map.set(k, reader.revive(k, member[k]));
    return;
  }
  const key = buf.utf8Slice(start + 1, keyEnd);
  const at = keyEnd + 2;
  if (reader.packed && buf[at] === OPEN) {
    const due = packedDue(buf, at, end);
    if (due >= 0) {
      map.set(key, reader.packed(key, scan.kinds.at(buf, at + KIND.length, end - DUE.length - 1 - dueDigits(buf, end)), due));
      return;
    }
  } else if (buf[at] === QUOTE && buf.indexOf(QUOTE, at + 1) === end - 1) {
    map.set(key, reader.revive(key, buf.utf8Slice(at + 1, end - 1)));
    return;
  }
  map.set(key, reader.revive(key, JSON.parse(buf.toString('utf8', at, end))));
}

/** Digits before the closing brace at `end - 1`. */
function dueDigits(buf: Buffer, end: number): number {
  let i = end - 2;
  while (buf[i] >= 48 && buf[i] <= 57) i--;
  return end - 2 - i;
}

/**
 * The due of `{"kind":"K","due":N}` exactly (K free of quotes, N a plain non-negative integer of at
 * most 15 digits), or -1. The line is known to hold no backslash.
 */
function packedDue(buf: Buffer, at: number, end: number): number {
  if (!startsWith(buf, at, KIND) || buf[end - 1] !== CLOSE) return -1;
  const digits = dueDigits(buf, end);
  if (digits < 1 || digits > 15) return -1;
  const kindEnd = end - 1 - digits - DUE.length;
  if (kindEnd < at + KIND.length || !startsWith(buf, kindEnd, DUE) || buf.indexOf(QUOTE, at + KIND.length) !== kindEnd) return -1;
  let due = 0;
  for (let i = end - 1 - digits; i < end - 1; i++) due = due * 10 + buf[i] - 48;
  return due;
}

function startsWith(buf: Buffer, at: number, ascii: string): boolean {
  for (let i = 0; i < ascii.length; i++) if (buf[at + i] !== ascii.charCodeAt(i)) return false;
  return true;
}

/** The last few kinds read: 100k timers share a handful, so most are found without a new string. */
class KindStrings {
  #recent: string[] = [];

  at(buf: Buffer, start: number, end: number): string {
    for (const kind of this.#recent) if (kind.length === end - start && startsWith(buf, start, kind)) return kind;
    const kind = buf.utf8Slice(start, end);
    // Compared byte for byte above, so only ASCII kinds are kept.
    if (this.#recent.length < 8 && /^[\x20-\x7e]*$/.test(kind)) this.#recent.push(kind);
    return kind;
  }
}
