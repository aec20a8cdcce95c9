import { mkdir, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { idTime } from '../../ids.js';
import type { ListPage, ListQuery, PartitionedCollection } from '../store.js';
import { fsyncDir } from './durable-file.js';
import type { GroupCommit } from './group-commit.js';

interface Location {
  offset: number;
  length: number;
}

// An index entry is one number, offset and length packed (lines < 16 MiB, files < 512 TiB), not
// an object: at 100k records that is megabytes less heap.
const LENGTH_BITS = 2 ** 24;
const pack = (offset: number, length: number): number => offset * LENGTH_BITS + length;
const unpack = (packed: number): Location => ({ offset: Math.floor(packed / LENGTH_BITS), length: packed % LENGTH_BITS });

interface Segment {
  key: string;
  /** Reads in progress: the file handle stays open while any runs. */
  readers: number;
  /** Where the newest version of each record starts; null until the file was scanned. */
  index: Map<string, number> | null;
  size: number;
  handle?: FileHandle;
  lastUsed: number;
}

export interface SegmentLogOptions {
  dir: string;
  gc: GroupCommit;
  onWrite: () => void;
  /** Parsed records kept in memory after use. */
  cacheSize?: number;
  /** Segments whose index stays in memory (the newest and most used). */
  maxIndexed?: number;
}

const pad = (n: number) => String(n).padStart(2, '0');
const ID_LENGTH = 26;

let lastHour = Number.NaN;
let lastKey = '';

/** `2026-11-23/17`: one file an hour in a folder a day, so retention deletes whole files. */
export function segmentKey(ms: number): string {
  const hour = Math.floor(ms / 3_600_000);
  if (hour !== lastHour) {
    const d = new Date(hour * 3_600_000);
    lastKey = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}/${pad(d.getUTCHours())}`;
    lastHour = hour;
  }
  return lastKey;
}

function keyOfId(id: string): string | undefined {
  const time = idTime(id);
  return time === undefined ? undefined : segmentKey(time);
}

/** Walks `<id>\t<json>\n` lines; the last line of a crash-torn file may be partial and is skipped. */
function* lines(buf: Buffer): Generator<{ id: string; offset: number; length: number }> {
  let start = 0;
  for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
    if (nl - start > ID_LENGTH && buf[start + ID_LENGTH] === 9) {
      yield { id: buf.toString('latin1', start, start + ID_LENGTH), offset: start, length: nl - start + 1 };
    }
    start = nl + 1;
  }
}

const parseLine = <T>(line: string): T => JSON.parse(line.slice(ID_LENGTH + 1)) as T;

/**
 * Records with ULID ids in hourly append-only files (`<id>\t<json>` per line, newest version
 * last). A commit appends only the records that changed and fsyncs once per file, so its cost is
 * the change, not the hour's traffic nor the history; retention deletes whole files. In memory: an
 * offset index of recent segments and a small cache of parsed records.
 *
 * @example
 *   const log = createSegmentLog<Message>({ dir: './data/messages', gc, onWrite });
 *   log.collection.put(message); await gc.commit();
 */
export function createSegmentLog<T extends { id: string }>(options: SegmentLogOptions) {
  // Enough to hold a few seconds of traffic, so receipts find their message without a read.
  const cacheSize = options.cacheSize ?? 5000;
  const maxIndexed = options.maxIndexed ?? 48;
  const segments = new Map<string, Segment>();
  const pending = new Map<string, T>();
  const cache = new Map<string, T>();
  /** CRC of the line last written for a cached id: a put that changed nothing appends nothing. */
  const written = new Map<string, number>();
  const reading = new Map<string, Promise<T | undefined>>();
  /** Segments a flush is appending to: their index must not be dropped mid-write. */
  const writing = new Set<string>();
  const fileOf = (key: string) => join(options.dir, `${key}.jsonl`);

  function remember(record: T): void {
    cache.delete(record.id);
    cache.set(record.id, record);
    if (cache.size > cacheSize) {
      const oldest = cache.keys().next().value as string;
      cache.delete(oldest);
      written.delete(oldest);
    }
  }

  async function segment(key: string): Promise<Segment> {
    let seg = segments.get(key);
    if (!seg) {
      seg = { key, index: null, size: 0, lastUsed: Date.now(), readers: 0 };
      segments.set(key, seg);
    }
    seg.lastUsed = Date.now();
    if (!seg.index) {
      const index = new Map<string, number>();
      const buf = await readFile(fileOf(key)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return Buffer.alloc(0);
        throw err;
      });
      for (const l of lines(buf)) index.set(l.id, pack(l.offset, l.length));
      // Another caller may have indexed it (and appended) while this one read.
      if (!seg.index) {
        seg.index = index;
        seg.size = buf.length;
      }
      forgetIdle();
    }
    return seg;
  }

  function forgetIdle(): void {
    const indexed = [...segments.values()].filter((s) => s.index).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const s of indexed.slice(0, Math.max(0, indexed.length - maxIndexed))) {
      if (writing.has(s.key) || s.readers > 0) continue;
      s.index = null;
      void s.handle?.close().catch(() => undefined);
      s.handle = undefined;
    }
  }

  async function handleOf(seg: Segment): Promise<FileHandle> {
    if (!seg.handle) {
      await mkdir(join(options.dir, seg.key.slice(0, 10)), { recursive: true });
      seg.handle = await open(fileOf(seg.key), 'a+');
      if (seg.size === 0) await fsyncDir(join(options.dir, seg.key.slice(0, 10)));
    }
    return seg.handle;
  }

  async function readRecord(key: string, id: string): Promise<T | undefined> {
    const seg = await segment(key);
    const packed = seg.index!.get(id);
    if (packed === undefined) return undefined;
    const loc = unpack(packed);
    const buf = Buffer.alloc(loc.length);
    seg.readers += 1;
    try {
      await (await handleOf(seg)).read(buf, 0, loc.length, loc.offset);
    } finally {
      seg.readers -= 1;
    }
    const record = parseLine<T>(buf.toString('utf8', 0, loc.length - 1));
    written.set(id, crc32(buf.subarray(0, loc.length)));
    return record;
  }

  const flushable = {
    /** Appends every changed record to its hour's file, one write and one fsync per file. */
    async flush(): Promise<void> {
      if (pending.size === 0) return;
      const batch = new Map(pending);
      const byKey = new Map<string, string[]>();
      const ids = new Map<string, string[]>();
      for (const [id, record] of pending) {
        const key = keyOfId(id)!;
        const line = `${id}\t${JSON.stringify(record)}\n`;
        const crc = crc32(line);
        remember(record);
        if (written.get(id) === crc) continue;
        written.set(id, crc);
        if (!byKey.has(key)) {
          byKey.set(key, []);
          ids.set(key, []);
        }
        byKey.get(key)!.push(line);
        ids.get(key)!.push(id);
      }
      pending.clear();
      for (const key of byKey.keys()) writing.add(key);
      try {
        await Promise.all([...byKey].map(async ([key, chunk]) => {
          const seg = await segment(key);
          const fh = await handleOf(seg);
          const buffers = chunk.map((line) => Buffer.from(line, 'utf8'));
          // Only flushes append, one at a time, so the size now is where these lines land.
          const start = (await fh.stat()).size;
          await fh.write(Buffer.concat(buffers));
          await fh.datasync();
          let offset = start;
          ids.get(key)!.forEach((id, i) => {
            seg.index!.set(id, pack(offset, buffers[i].length));
            offset += buffers[i].length;
          });
          seg.size = offset;
          options.onWrite();
        }));
      } catch (err) {
        // Unwritten changes go back to pending for the next commit, unless a newer put replaced them.
        for (const [id, record] of batch) {
          written.delete(id);
          if (!pending.has(id)) pending.set(id, record);
        }
        throw err;
      } finally {
        for (const key of byKey.keys()) writing.delete(key);
      }
    },
  };

  async function keys(): Promise<string[]> {
    const found = new Set<string>([...segments.keys()].filter((k) => segments.get(k)!.size > 0));
    for (const day of await readdir(options.dir).catch(() => [] as string[])) {
      if (!/^\d{4}-\d\d-\d\d$/.test(day)) continue;
      for (const f of await readdir(join(options.dir, day)).catch(() => [] as string[])) {
        if (/^\d\d\.jsonl$/.test(f)) found.add(`${day}/${f.slice(0, 2)}`);
      }
    }
    for (const id of pending.keys()) found.add(keyOfId(id)!);
    return [...found].sort();
  }

  const collection: PartitionedCollection<T> = {
    async get(id) {
      const hit = pending.get(id) ?? cache.get(id);
      if (hit) return hit;
      const key = keyOfId(id);
      if (!key) return undefined;
      let p = reading.get(id);
      if (!p) {
        p = readRecord(key, id).finally(() => reading.delete(id)).then((r) => {
          // A put while the read was in flight is newer than what was on disk.
          const newer = pending.get(id) ?? cache.get(id);
          if (newer) return newer;
          if (r) remember(r);
          return r;
        });
        reading.set(id, p);
      }
      return p;
    },
    put(record) {
      if (!keyOfId(record.id)) throw new Error(`record id ${record.id} is not a ULID`);
      pending.set(record.id, record);
      options.gc.markDirty(flushable);
    },
    discard(id) {
      pending.delete(id);
      cache.delete(id);
    },
    async list(query: ListQuery<T>): Promise<ListPage<T>> {
      return { items: await listAll(query) };
    },
  };

  async function listAll(query: ListQuery<T>): Promise<T[]> {
    {
      const out: T[] = [];
      const sinceKey = query.since === undefined ? '' : segmentKey(query.since);
      const beforeKey = query.before ? keyOfId(query.before) ?? '9999' : '9999';
      for (const key of (await keys()).reverse()) {
        if (key > beforeKey) continue;
        if (key < sinceKey) break;
        const seg = await segment(key);
        const candidates = new Set(seg.index!.keys());
        for (const id of pending.keys()) if (keyOfId(id) === key) candidates.add(id);
        for (const id of [...candidates].sort().reverse()) {
          if (query.before && id >= query.before) continue;
          if (query.since !== undefined && (idTime(id) ?? 0) < query.since) continue;
          const record = await collection.get(id);
          if (!record || (query.filter && !query.filter(record))) continue;
          out.push(record);
          if (out.length >= query.limit) return out;
        }
      }
      return out;
    }
  }

  return {
    collection,
    flushable,
    keys,
    /** Every record of a segment, newest version each, read in one pass (for index rebuilds). */
    async scan(key: string): Promise<T[]> {
      const buf = await readFile(fileOf(key)).catch(() => Buffer.alloc(0));
      const latest = new Map<string, Location>();
      for (const l of lines(buf)) latest.set(l.id, l);
      return [...latest.values()].map((l) => parseLine<T>(buf.toString('utf8', l.offset, l.offset + l.length - 1)));
    },
    /** Deletes every segment of an hour before `cutoff`. */
    async deleteBefore(cutoff: number): Promise<number> {
      const cutoffKey = segmentKey(cutoff);
      let deleted = 0;
      for (const key of await keys()) {
        if (key >= cutoffKey) break;
        const seg = segments.get(key);
        await seg?.handle?.close().catch(() => undefined);
        segments.delete(key);
        for (const id of [...cache.keys()]) {
          if (keyOfId(id) === key) {
            cache.delete(id);
            written.delete(id);
          }
        }
        await rm(fileOf(key), { force: true });
        deleted += 1;
      }
      for (const day of await readdir(options.dir).catch(() => [] as string[])) {
        if ((await readdir(join(options.dir, day)).catch(() => ['x'])).length === 0) await rm(join(options.dir, day), { recursive: true, force: true });
      }
      return deleted;
    },
    async close(): Promise<void> {
      for (const s of segments.values()) await s.handle?.close().catch(() => undefined);
      segments.clear();
    },
  };
}
