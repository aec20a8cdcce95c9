import { AppError } from '../../errors.js';
import type { PartitionedCollection } from '../store.js';
import type { StagedAppend } from './append-file.js';
import { NOTHING_STAGED, type GroupCommit, type Staged } from './group-commit.js';
import { ID_LENGTH } from './line-scan.js';
import { RecordCache, type OpenRecords } from './record-cache.js';
import { keyOfId, segmentKey } from './segment-key.js';
import { listRecords } from './segment-list.js';
import { SegmentSet } from './segment-set.js';
import type { Segment } from './segment.js';

export interface SegmentLogOptions<T> {
  dir: string;
  /** The collection's name in commit markers (`messages`, `inbound`). */
  name?: string;
  /** Where each hour's committed bytes end, from the last commit markers: more is cut at open. */
  committedEnds?: ReadonlyMap<string, number>;
  gc: GroupCommit;
  onWrite: () => void;
  /** Bytes of parsed records kept after use (default 32 MiB). */
  cacheBytes?: number;
  /** Records about to be read again, cached in a budget of their own. */
  open?: OpenRecords<T>;
  /** Bytes the segment indexes may take (default 64 MiB). */
  indexBytes?: number;
  maxOpenFiles?: number;
  /** The longest record line a put accepts (default 4 MiB). */
  maxLineBytes?: number;
}

/** A put waiting for its commit: already serialized, so the flush never stringifies. */
interface PendingLine<T> {
  record: T;
  line: Buffer;
}

const parse = <T>(line: Buffer): T => JSON.parse(line.toString('utf8', ID_LENGTH + 1, line.length - 1)) as T;

/**
 * Records with ULID ids in hourly append-only files (`<id>\t<json>` per line, newest version
 * last). A commit appends only the records put since the last one, with one write and one
 * datasync per file, so its cost is the change, not the hour's traffic; retention deletes whole
 * files. In memory: offset indexes of recently used hours and parsed records, both bounded in bytes.
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
  const cache = new RecordCache<T>(options.cacheBytes ?? 32 * 1024 * 1024, options.open);
  const reading = new Map<string, Promise<T | undefined>>();

  async function readStored(id: string): Promise<{ record: T; bytes: number } | undefined> {
    const seg = segments.find(keyOfId(id) ?? '');
    if (!seg) return undefined;
    const offset = (await segments.index(seg)).get(id);
    if (offset === undefined) return undefined;
    const line = await seg.readLine(offset);
    if (!line || line.toString('latin1', 0, ID_LENGTH) !== id) throw new Error(`segment ${seg.key}: no line of ${id} at ${offset}`);
    return { record: parse<T>(line), bytes: line.length };
  }

  interface SegmentWrite {
    seg: Segment;
    staged: StagedAppend;
    entries: [string, PendingLine<T>][];
    end: number;
  }

  async function writeSegment(key: string, entries: [string, PendingLine<T>][]): Promise<SegmentWrite> {
    const seg = await segments.obtain(key);
    const data = Buffer.concat(entries.map(([, p]) => p.line));
    const staged = await seg.file.stage(data);
    options.onWrite();
    return { seg, staged, entries, end: staged.start + data.length };
  }

  /** Only now, with every file of the commit written and synced, do these records count as stored. */
  function markWritten({ seg, staged, entries }: SegmentWrite): void {
    staged.confirm();
    let offset = staged.start;
    for (const [id, p] of entries) {
      seg.noteWritten(id, offset);
      offset += p.line.length;
      if (pending.get(id) === p) pending.delete(id);
      cache.set(id, p.record, p.line.length);
    }
  }

  const undoAll = async (writes: SegmentWrite[]) => {
    await Promise.allSettled(writes.map((w) => w.staged.undo()));
    segments.trim();
  };

  const flushable = {
    /** Appends every pending line to its hour's file; what fails stays pending for the next commit. */
    async flush(): Promise<Staged> {
      if (pending.size === 0) return NOTHING_STAGED;
      const byKey = new Map<string, [string, PendingLine<T>][]>();
      for (const entry of pending) {
        const key = keyOfId(entry[0])!;
        const list = byKey.get(key);
        if (list) list.push(entry);
        else byKey.set(key, [entry]);
      }
      // allSettled: a failure must not start the next flush while other appends still run.
      const results = await Promise.allSettled([...byKey].map(([key, entries]) => writeSegment(key, entries)));
      const writes = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        await undoAll(writes);
        throw failed.reason;
      }
      return {
        ends: writes.map((w) => [`${name}/${w.seg.key}`, w.end] as const),
        apply: () => {
          for (const w of writes) markWritten(w);
          segments.trim();
        },
        undo: () => undoAll(writes),
      };
    },
  };

  const collection: PartitionedCollection<T> = {
    async get(id) {
      const hit = pending.get(id)?.record ?? cache.get(id);
      if (hit) return hit;
      let p = reading.get(id);
      if (!p) {
        p = readStored(id).finally(() => reading.delete(id)).then((stored) => {
          // A put while the read was in flight is newer than what was on disk.
          const newer = pending.get(id)?.record ?? cache.peek(id);
          if (newer) return newer;
          if (stored) cache.set(id, stored.record, stored.bytes);
          return stored?.record;
        });
        reading.set(id, p);
      }
      return p;
    },
    put(record) {
      if (!keyOfId(record.id)) throw new AppError('validation_failed', `record id ${record.id} is not a ULID`);
      let json: string;
      try {
        json = JSON.stringify(record);
      } catch {
        throw new AppError('validation_failed', 'the record cannot be stored: it is nested too deeply or holds something JSON cannot represent');
      }
      const line = Buffer.from(`${record.id}\t${json}\n`, 'utf8');
      if (line.length > maxLineBytes) throw new AppError('validation_failed', `the record takes ${line.length} bytes stored; at most ${maxLineBytes} are allowed`);
      pending.set(record.id, { record, line });
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
    /** Every stored line of an hour parsed, oldest first, streamed (for secondary-index rebuilds). */
    async forEach(key: string, fn: (record: T) => void): Promise<void> {
      const seg: Segment | undefined = segments.find(key);
      await seg?.forEachLine((line) => {
        if (line.length > ID_LENGTH && line[ID_LENGTH] === '\t') fn(JSON.parse(line.slice(ID_LENGTH + 1)) as T);
      });
      segments.trim();
    },
    /** Deletes the hours before `cutoff` except `keep` and those with unwritten puts; returns how many. */
    async deleteBefore(cutoff: number, keep: ReadonlySet<string>): Promise<number> {
      const cutoffKey = segmentKey(cutoff);
      const busy = new Set([...pending.keys()].map((id) => keyOfId(id)!));
      let deleted = 0;
      for (const key of segments.keys()) {
        if (key >= cutoffKey) break;
        if (keep.has(key) || busy.has(key) || !(await segments.delete(key))) continue;
        cache.deleteWhere((id) => keyOfId(id) === key);
        deleted += 1;
      }
      return deleted;
    },
    close: () => segments.close(),
  };
}

export type SegmentLog<T extends { id: string }> = Awaited<ReturnType<typeof openSegmentLog<T>>>;
