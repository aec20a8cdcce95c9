import { crc32 } from 'node:zlib';
import { AppError } from '../../errors.js';
import type { PartitionedCollection, RecordChanges } from '../store.js';
import type { StagedAppend } from './append-file.js';
import { NOTHING_STAGED, type GroupCommit, type Prepared, type Staged } from './group-commit.js';
import { forEachVersion, readVersion, type ReadVersion } from './record-chain.js';
import { ChangeWriter, storedVersion, type StoredVersion, type VersionShape } from './record-changes.js';
import { ByteBudget } from './byte-budget.js';
import { foldLines, type KeptLines } from './line-cache.js';
import { RecordCache, type OpenRecords } from './record-cache.js';
import { changeLineText, wholeLineText } from './record-line.js';
import { keyOfId, segmentKey } from './segment-key.js';
import { listRecords } from './segment-list.js';
import { compactSegment, isCompacted } from './segment-compaction.js';
import { SegmentSet } from './segment-set.js';
import { Segment } from './segment.js';

export interface SegmentLogOptions<T> {
  dir: string;
  /** The collection's name in commit markers (`messages`, `inbound`). */
  name?: string;
  /** Where each hour's committed bytes end, from the last commit markers: more is cut at open. */
  committedEnds?: ReadonlyMap<string, number>;
  gc: GroupCommit;
  onWrite: () => void;
  /** Line bytes of parsed records kept after use (default 8 MiB). */
  cacheBytes?: number;
  /** Records about to be read again, cached in a budget of their own. */
  open?: OpenRecords<T>;
  /** Bytes of the lines of open records kept as text, with `open` and `changes` (line-cache.ts); none without. */
  openLineBytes?: number;
  /** Bytes the segment indexes may take (default 64 MiB). */
  indexBytes?: number;
  maxOpenFiles?: number;
  /** The longest record line a put accepts (default 4 MiB). */
  maxLineBytes?: number;
  /** How records change after their first put: a later put is then written as what changed. */
  changes?: RecordChanges<T>;
}

/** A put waiting for its commit: already serialized, so the flush never stringifies. */
interface PendingLine<T> {
  record: T;
  line: string;
  /** The line's length in UTF-8, as written. */
  bytes: number;
  /** What a change written after this version needs, less its offset (known once written). */
  shape?: VersionShape;
  /** Change lines from the whole record to this one (0: this line is whole), and that record's line bytes. */
  depth: number;
  rootBytes: number;
  /** Where the version this change is written against starts (a change line only). */
  prev?: number;
}

/**
 * Records with ULID ids in hourly append-only files (`<id>\t<json>` per line, newest version
 * last). A commit appends only the records put since the last one, with one durable write per
 * file, so its cost is the change, not the hour's traffic; retention deletes whole
 * files. In memory: offset indexes of recently used hours and parsed records, both bounded in bytes.
 *
 * With `changes`, a put of a record whose earlier version is stored and still cached is written as
 * a change line naming that version's offset (record-line.ts); reads fold the chain. A change is
 * only ever written against a version a finished commit stored, never against a pending one: a put
 * that replaces a pending put is a change against the same stored version, and a `discard` leaves
 * that version the base. Retention deletes whole hours, and a chain never leaves its record's hour.
 *
 * @example
 *   const log = await openSegmentLog<Message>({ dir: './data/messages', gc, onWrite });
 *   log.collection.put(message); await gc.commit();
 */
export async function openSegmentLog<T extends { id: string }>(options: SegmentLogOptions<T>) {
  const maxLineBytes = options.maxLineBytes ?? 4 * 1024 * 1024;
  const name = options.name ?? 'records';
  const segments = await SegmentSet.open(options.dir, { indexBytes: options.indexBytes ?? 64 * 1024 * 1024, maxOpenFiles: options.maxOpenFiles ?? 64 }, {
    endOf: (key) => options.committedEnds?.get(`${name}/${key}`),
  });
  const pending = new Map<string, PendingLine<T>>();
  const cache = new RecordCache<T, StoredVersion>(options.cacheBytes ?? 8 * 1024 * 1024, options.open);
  const reading = new Map<string, Promise<T | undefined>>();
  const writer = options.changes && new ChangeWriter(options.changes);
  const isOpen = options.open?.isOpen;
  const lines = writer && isOpen && options.openLineBytes ? new ByteBudget<KeptLines>(options.openLineBytes) : undefined;
  // Hours being rewritten: their appends wait, and their puts are written whole.
  const compacting = new Map<string, Promise<boolean>>();

  /** The newest stored version of `id`; `forPut`: with what the next change is written against. */
  async function readStored(id: string, forPut = false): Promise<ReadVersion<T> | undefined> {
    const seg = segments.find(keyOfId(id) ?? '');
    if (!seg) return undefined;
    try {
      const offset = (await segments.index(seg)).get(id);
      if (offset === undefined) return undefined;
      return await readVersion<T>(seg, id, offset, forPut ? writer : undefined);
    } catch (err) {
      // The hour was compacted under the read: its offsets changed, so read the new file.
      if (segments.peek(seg.key) !== seg) return readStored(id, forPut);
      throw err;
    }
  }

  /** The line of a put: a change against the stored version when there is one to write against. */
  function serialize(record: T): PendingLine<T> {
    if (!writer) return pendingLine(record, wholeLineText(record.id, JSON.stringify(record)), undefined, 0, 0);
    const key = keyOfId(record.id)!;
    const found = cache.version(record.id);
    const stored = found && !compacting.has(key) && segments.peek(key) === found.file ? found : undefined;
    const { change, shape } = writer.diff(record, stored);
    if (change && stored) {
      return pendingLine(record, changeLineText(record.id, stored.offset, change), shape, stored.depth + 1, stored.rootBytes, stored.offset);
    }
    return pendingLine(record, wholeLineText(record.id, JSON.stringify(record)), shape, 0, undefined);
  }

  /** `rootBytes` undefined: this line is the whole record's. */
  function pendingLine(record: T, line: string, shape: VersionShape | undefined, depth: number, rootBytes: number | undefined, prev?: number): PendingLine<T> {
    const bytes = Buffer.byteLength(line, 'utf8');
    return { record, line, bytes, shape, depth, rootBytes: rootBytes ?? bytes, prev };
  }

  interface SegmentWrite {
    seg: Segment;
    staged: StagedAppend;
    entries: [string, PendingLine<T>][];
    end: number;
  }

  /** An hour's lines of a commit, encoded and placed, not written yet. */
  interface SegmentPlan {
    seg: Segment;
    entries: [string, PendingLine<T>][];
    data: Buffer;
    start: number;
  }

  async function planSegment(key: string, entries: [string, PendingLine<T>][]): Promise<SegmentPlan> {
    // No compaction starts while these entries are pending: one running now is waited for.
    for (let c = compacting.get(key); c; c = compacting.get(key)) await c.catch(() => false);
    const seg = await segments.obtain(key);
    // Each line encoded straight into its place: joined first, the lines were copied once more
    // into one string as long as the write (3 % of what an accept allocated).
    const data = Buffer.allocUnsafe(entries.reduce((sum, [, p]) => sum + p.bytes, 0));
    let at = 0;
    for (const [, p] of entries) at += data.write(p.line, at, 'utf8');
    // Only this log appends to the hour, one commit at a time: the write starts where the file ends now.
    return { seg, entries, data, start: seg.file.size };
  }

  async function writeSegment({ seg, entries, data, start }: SegmentPlan): Promise<SegmentWrite> {
    const staged = await seg.file.stage(data);
    if (staged.start !== start) {
      // The marker going out beside this write names `start`: a commit it does not describe must fail.
      await staged.undo();
      throw new Error(`${seg.file.path}: the append landed at ${staged.start}, not at ${start}`);
    }
    options.onWrite();
    return { seg, staged, entries, end: staged.start + data.length };
  }

  /** Only now, with every file of the commit written and synced, do these records count as stored. */
  function markWritten({ seg, staged, entries }: SegmentWrite): void {
    staged.confirm();
    let offset = staged.start;
    for (const [id, p] of entries) {
      seg.noteWritten(id, offset);
      if (pending.get(id) === p) pending.delete(id);
      if (!p.shape) cache.set(id, p.record, p.bytes);
      else cache.set(id, p.record, p.depth === 0 ? p.rootBytes : p.rootBytes + p.bytes, storedVersion(p.shape, seg, offset, p.depth, p.rootBytes));
      if (lines) keepLines(id, p, seg, offset);
      offset += p.bytes;
    }
  }

  /** The open record's lines as just written, on top of those kept for the version it changes. */
  function keepLines(id: string, p: PendingLine<T>, seg: Segment, offset: number): void {
    const was = lines!.entries.get(id);
    const kept = p.depth === 0 ? [] : was && was.file === seg && was.offset === p.prev ? was.lines : undefined;
    if (!kept || !isOpen!(p.record)) return lines!.delete(id);
    lines!.set(id, { lines: [...kept, p.line], file: seg, offset, depth: p.depth, rootBytes: p.rootBytes, bytes: (p.depth === 0 ? 0 : was!.bytes) + p.bytes, newest: p.bytes });
  }

  /** The open record folded from its kept lines, cached parsed as a read from the file would be. */
  function fromLines(id: string): T | undefined {
    const kept = lines?.entries.get(id);
    if (!kept) return undefined;
    const record = foldLines<T>(kept.lines);
    const version = writer && storedVersion(writer.shape(record as object), kept.file, kept.offset, kept.depth, kept.rootBytes);
    cache.set(id, record, kept.depth === 0 ? kept.rootBytes : kept.rootBytes + kept.newest, version);
    return record;
  }

  const undoAll = async (writes: SegmentWrite[]) => {
    await Promise.allSettled(writes.map((w) => w.staged.undo()));
    segments.trim();
  };

  async function compact(seg: Segment): Promise<boolean> {
    const busy = () => compacting.has(seg.key) || seg.file.staged || [...pending.keys()].some((id) => keyOfId(id) === seg.key);
    if (busy() || segments.peek(seg.key) !== seg) return false;
    // The rewrite changes bytes a commit marker may name with their CRC: a marker that cannot name
    // this hour (nothing of it is pending) goes out first, so the last one on disk never describes
    // what the rewrite changed. Checked again after it: a put to the hour meanwhile waits for the next prune.
    await options.gc.barrier();
    if (busy() || segments.peek(seg.key) !== seg) return false;
    const run = compactSegment(seg).then((file) => {
      if (!file) return false;
      segments.replace(new Segment(seg.key, file));
      void retire(seg);
      return true;
    });
    compacting.set(seg.key, run);
    try {
      return await run;
    } finally {
      compacting.delete(seg.key);
      segments.trim();
    }
  }

  /**
   * Closes a replaced segment's file once the reads that began on it are done (a later one gets
   * an error and `readStored` reads the new file), and frees its index: cached versions still
   * name the segment, only to be told it is not the hour's any more.
   */
  async function retire(seg: Segment): Promise<void> {
    while (seg.busy) await new Promise((r) => setImmediate(r));
    await seg.file.close();
    seg.dropIndex();
  }

  const flushable = {
    flush: async (): Promise<Staged> => (await flushable.prepare()).write(),
    /** Places every pending line at the end of its hour's file; the write appends them, and what fails stays pending. */
    async prepare(): Promise<Prepared> {
      if (pending.size === 0) return { ends: [], write: async () => NOTHING_STAGED };
      const byKey = new Map<string, [string, PendingLine<T>][]>();
      for (const entry of pending) {
        const key = keyOfId(entry[0])!;
        const list = byKey.get(key);
        if (list) list.push(entry);
        else byKey.set(key, [entry]);
      }
      // allSettled: no hour is still being opened for this commit when the next one starts.
      const planned = await Promise.allSettled([...byKey].map(([key, entries]) => planSegment(key, entries)));
      const failed = planned.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const plans = planned.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      return {
        ends: plans.map((p) => [`${name}/${p.seg.key}`, p.start + p.data.length, p.start, crc32(p.data)] as const),
        async write() {
          // allSettled: a failure must not start the next flush while other appends still run.
          const results = await Promise.allSettled(plans.map(writeSegment));
          const writes = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed) {
            await undoAll(writes);
            throw failed.reason;
          }
          return {
            apply: () => {
              for (const w of writes) markWritten(w);
              segments.trim();
            },
            undo: () => undoAll(writes),
          };
        },
      };
    },
  };

  const collection: PartitionedCollection<T> = {
    async get(id) {
      const hit = pending.get(id)?.record ?? cache.get(id) ?? fromLines(id);
      if (hit) return hit;
      let p = reading.get(id);
      if (!p) {
        p = readStored(id, true).finally(() => reading.delete(id)).then((stored) => {
          // A put while the read was in flight is newer than what was on disk.
          const newer = pending.get(id)?.record ?? cache.peek(id);
          if (newer) return newer;
          if (stored) cache.set(id, stored.record, stored.bytes, stored.version);
          return stored?.record;
        });
        reading.set(id, p);
      }
      return p;
    },
    put(record) {
      if (!keyOfId(record.id)) throw new AppError('validation_failed', `record id ${record.id} is not a ULID`);
      let p: PendingLine<T>;
      try {
        p = serialize(record);
      } catch {
        throw new AppError('validation_failed', 'the record cannot be stored: it is nested too deeply or holds something JSON cannot represent');
      }
      if (p.bytes > maxLineBytes) throw new AppError('validation_failed', `the record takes ${p.bytes} bytes stored; at most ${maxLineBytes} are allowed`);
      pending.set(record.id, p);
      options.gc.markDirty(flushable);
    },
    discard(id) {
      pending.delete(id);
      // The cached object may be the caller's, changed in place: the next get reads the disk.
      cache.delete(id);
    },
    list: (query) => listRecords(query, {
      keys: () => {
        const keys = new Set(segments.keys());
        for (const id of pending.keys()) keys.add(keyOfId(id)!);
        return [...keys].sort();
      },
      async ids(key) {
        const seg = segments.find(key);
        const ids = new Set(seg ? (await segments.index(seg)).keys() : []);
        for (const id of pending.keys()) if (keyOfId(id) === key) ids.add(id);
        return ids;
      },
      // Listing reads around the cache: a long scan must not evict the records in use.
      peek: async (id) => pending.get(id)?.record ?? cache.peek(id) ?? (await readStored(id))?.record,
    }),
  };

  return {
    collection,
    flushable,
    keys: () => segments.keys(),
    /** Every hour's current end, as a commit marker names it (adopting files written before markers). */
    ends: (): [string, number][] => segments.keys().map((key) => [`${name}/${key}`, segments.find(key)!.file.size]),
    /** Every stored version of an hour, folded, oldest first, streamed (for secondary-index rebuilds). */
    async forEach(key: string, fn: (record: T) => void): Promise<void> {
      const seg: Segment | undefined = segments.find(key);
      if (seg) await forEachVersion(seg, fn);
      segments.trim();
    },
    /** Deletes the hours before `cutoff` except `keep` and those with unwritten puts; returns how many. */
    async deleteBefore(cutoff: number, keep: ReadonlySet<string>): Promise<number> {
      const cutoffKey = segmentKey(cutoff);
      const busy = new Set([...pending.keys()].map((id) => keyOfId(id)!).concat([...compacting.keys()]));
      let deleted = 0;
      for (const key of segments.keys()) {
        if (key >= cutoffKey) break;
        if (keep.has(key) || busy.has(key) || !(await segments.delete(key))) continue;
        cache.deleteWhere((id) => keyOfId(id) === key);
        lines?.deleteWhere((id) => keyOfId(id) === key);
        deleted += 1;
      }
      return deleted;
    },
    /**
     * Rewrites the hours in `[since, before)` not compacted yet as the newest version of each
     * record (segment-compaction.ts); returns how many were. An hour with unwritten puts waits
     * for a later call.
     */
    async compactBetween(since: number, before: number): Promise<number> {
      const [first, last] = [segmentKey(since), segmentKey(before)];
      let compacted = 0;
      for (const key of segments.keys()) {
        if (key < first || key >= last) continue;
        const seg = segments.peek(key);
        // Compaction only saves space: an hour it fails on (a full disk) stays as it is, for the next prune.
        const done = seg && !(await isCompacted(seg)) && (await compact(seg).catch(() => false));
        if (done) compacted += 1;
      }
      return compacted;
    },
    async close() {
      await Promise.allSettled(compacting.values());
      await segments.close();
    },
  };
}

export type SegmentLog<T extends { id: string }> = Awaited<ReturnType<typeof openSegmentLog<T>>>;
