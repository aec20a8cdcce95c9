import { ID_LENGTH } from './line-scan.js';
import { applyChange, storedVersion, type Change, type ChangeWriter, type StoredVersion } from './record-changes.js';
import { parseLine } from './record-line.js';
import type { Segment } from './segment.js';

/** A version read back: the record folded, what it weighs, and what a change may be written against. */
export interface ReadVersion<T> {
  record: T;
  bytes: number;
  version?: StoredVersion;
}

// A chain is at most MAX_CHAIN long when written; a longer one is a damaged file, not a record.
const MAX_FOLD = 64;
// Bytes of versions (as their lines weigh) kept while streaming an hour, so a change finds its
// base without a read.
const STREAM_BYTES = 16 * 1024 * 1024;

/**
 * The version of `id` whose line starts at `offset`: a whole line as it is, a change line folded
 * onto its base, read back by the offsets the lines name (each earlier in the same file).
 */
export async function readVersion<T>(seg: Segment, id: string, offset: number, writer?: ChangeWriter): Promise<ReadVersion<T>> {
  const changes: Change[] = [];
  let newestBytes = 0;
  for (let at = offset; ;) {
    const line = await seg.readLine(at);
    if (!line || line.toString('latin1', 0, ID_LENGTH) !== id) throw new Error(`segment ${seg.key}: no line of ${id} at ${at}`);
    newestBytes ||= line.length;
    const stored = parseLine<T>(line);
    if ('whole' in stored) {
      let record = stored.whole;
      for (let i = changes.length - 1; i >= 0; i -= 1) record = applyChange(record, changes[i]);
      const depth = changes.length;
      const bytes = depth === 0 ? line.length : line.length + newestBytes;
      return { record, bytes, version: writer && storedVersion(writer.shape(record as object), seg, offset, depth, line.length) };
    }
    if (stored.prev >= at || changes.length >= MAX_FOLD) throw new Error(`segment ${seg.key}: the change of ${id} at ${at} names no earlier line`);
    changes.push(stored.change);
    at = stored.prev;
  }
}

/**
 * Every stored line of an hour as the version it stands for, oldest first: a change is folded onto
 * the version it names, kept from earlier in the stream (up to `keepBytes` of them) or read back
 * when it is long past.
 */
export async function forEachVersion<T>(seg: Segment, fn: (record: T, offset: number) => void | Promise<void>, keepBytes = STREAM_BYTES): Promise<void> {
  const recent = new Map<string, { offset: number; record: T; bytes: number }>();
  let held = 0;
  const keep = (id: string, offset: number, record: T, bytes: number) => {
    held -= recent.get(id)?.bytes ?? 0;
    recent.delete(id);
    recent.set(id, { offset, record, bytes });
    held += bytes;
    for (const [oldest, entry] of recent) {
      if (held <= keepBytes) break;
      recent.delete(oldest);
      held -= entry.bytes;
    }
    return fn(record, offset);
  };
  await seg.forEachLine((offset, line) => {
    if (line.length <= ID_LENGTH || line[ID_LENGTH] !== 9) return;
    const id = line.toString('latin1', 0, ID_LENGTH);
    const stored = parseLine<T>(line);
    if ('whole' in stored) return keep(id, offset, stored.whole, line.length);
    const base = recent.get(id);
    if (base?.offset === stored.prev) return keep(id, offset, applyChange(base.record, stored.change), base.bytes + line.length);
    const length = line.length;
    return readVersion<T>(seg, id, stored.prev).then((read) => keep(id, offset, applyChange(read.record, stored.change), read.bytes + length));
  });
}
