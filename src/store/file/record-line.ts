import { ID_LENGTH } from './line-scan.js';
import type { Change } from './record-changes.js';

// `<id>\t{…}\n` holds a whole record; `<id>\t@<offset>\t{…}\n` a change to the version whose line
// starts at that offset of the same file. A JSON object never starts with `@`, so lines written
// before changes existed read as whole records.
const AT = 0x40;
const BODY = ID_LENGTH + 1;

export type StoredLine<T> = { whole: T } | { prev: number; change: Change };

// As text, for puts: a commit encodes all of a file's lines at once, so a put makes no buffer of
// its own (thousands of small ones a second are what left glibc's heap fragmented after a burst).
export const wholeLineText = (id: string, json: string): string => `${id}\t${json}\n`;
export const changeLineText = (id: string, prev: number, change: Change): string => `${id}\t@${prev}\t${JSON.stringify(change)}\n`;

export function wholeLine(id: string, json: string): Buffer {
  return Buffer.from(wholeLineText(id, json), 'utf8');
}

export function changeLine(id: string, prev: number, change: Change): Buffer {
  return Buffer.from(changeLineText(id, prev, change), 'utf8');
}

/** Parses one line read or kept as text (its newline included or not); throws on one that is neither kind. */
export function parseLineText<T>(line: string): StoredLine<T> {
  const end = line.endsWith('\n') ? line.length - 1 : line.length;
  if (line.charCodeAt(BODY) !== AT) return { whole: JSON.parse(line.slice(BODY, end)) as T };
  const tab = line.indexOf('\t', BODY + 1);
  const prev = Number(line.slice(BODY + 1, tab));
  if (tab === -1 || !Number.isSafeInteger(prev)) throw new Error(`a change line names no previous offset`);
  return { prev, change: JSON.parse(line.slice(tab + 1, end)) as Change };
}

/** Parses one line (its newline included or not); throws on one that is neither kind. */
export function parseLine<T>(line: Buffer): StoredLine<T> {
  return parseLineText<T>(line.toString('utf8'));
}
