import { statSync } from 'node:fs';
import { rm, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppendFile } from './append-file.js';
import { Segment } from './segment.js';
import { segmentKeysOnDisk, segmentPath } from './segment-key.js';

// Files opened at once at start: enough to keep libuv's four threads busy.
const OPEN_CONCURRENCY = 8;

export interface SegmentSetLimits {
  /** Bytes the in-memory indexes may take together (estimated per entry). */
  indexBytes: number;
  /** File handles kept open between uses. */
  maxOpenFiles: number;
}

/**
 * The segments of one collection, in least-recently-used order (a `Map` keeps it: a use moves a
 * segment to the young end, so trimming never sorts). Only hours with a file have an entry, so a
 * lookup for an hour that never had one adds nothing and scans nothing.
 */
export class SegmentSet {
  readonly #dir: string;
  readonly #limits: SegmentSetLimits;
  readonly #segments = new Map<string, Segment>();
  readonly #creating = new Map<string, Promise<Segment>>();

  private constructor(dir: string, limits: SegmentSetLimits) {
    this.#dir = dir;
    this.#limits = limits;
  }

  /**
   * Finds the segments on disk and cuts their torn tails before anything reads or appends, and
   * anything past the end the last commit marker names for the hour (a commit that never reached
   * its commit point). `endOf` undefined: a file the markers never named, kept as it is.
   */
  static async open(dir: string, limits: SegmentSetLimits, committed: { endOf(key: string): number | undefined } = { endOf: () => undefined }): Promise<SegmentSet> {
    const set = new SegmentSet(dir, limits);
    const keys = await segmentKeysOnDisk(dir);
    const opened: Segment[] = new Array(keys.length);
    // A month of hours is 720 files: a few at a time, not in a row. A file whose size is the end
    // its last commit marker names holds whole committed lines only (markers are written after the
    // lines they name): one stat, not an open, a torn-tail check and a close. The stat is
    // synchronous: a few microseconds against the inode cache, where each of 720 trips through
    // libuv's threadpool cost the loop a wake-up (~45 ms of a start on 2 cores).
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < keys.length; i = next++) {
        const path = segmentPath(dir, keys[i]);
        const end = committed.endOf(keys[i]);
        const size = end === undefined ? undefined : statSync(path, { throwIfNoEntry: false })?.size;
        if (size !== undefined && size === end) {
          opened[i] = new Segment(keys[i], AppendFile.closed(path, size));
          continue;
        }
        const file = await AppendFile.open(path);
        if (end !== undefined) await file.truncateTo(end);
        await file.closeIdle();
        opened[i] = new Segment(keys[i], file);
      }
    };
    const results = await Promise.allSettled(Array.from({ length: Math.min(OPEN_CONCURRENCY, keys.length) }, worker));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(opened.map((seg) => seg?.file.close()));
      throw failed.reason;
    }
    for (const seg of opened) set.#segments.set(seg.key, seg);
    return set;
  }

  /** Keys with a file, oldest hour first. */
  keys(): string[] {
    return [...this.#segments.keys()].sort();
  }

  /** The segment of an hour if it has a file, marked as just used. */
  find(key: string): Segment | undefined {
    const seg = this.#segments.get(key);
    if (seg) {
      this.#segments.delete(key);
      this.#segments.set(key, seg);
    }
    return seg;
  }

  /** The segment of an hour if it has a file, without counting as a use. */
  peek(key: string): Segment | undefined {
    return this.#segments.get(key);
  }

  /** The segment of an hour, its file created on first need (once, however many ask). */
  async obtain(key: string): Promise<Segment> {
    const found = this.find(key);
    if (found) return found;
    let creating = this.#creating.get(key);
    if (!creating) {
      creating = AppendFile.open(segmentPath(this.#dir, key))
        .then((file) => {
          const seg = new Segment(key, file);
          this.#segments.set(key, seg);
          return seg;
        })
        .finally(() => this.#creating.delete(key));
      this.#creating.set(key, creating);
    }
    return creating;
  }

  async index(seg: Segment): Promise<Map<string, number>> {
    const index = await seg.loadIndex();
    this.trim(seg);
    return index;
  }

  /** Drops the indexes and closes the handles of the least recently used segments past the limits. */
  trim(keep?: Segment): void {
    let bytes = 0;
    let open = 0;
    for (const seg of this.#segments.values()) {
      bytes += seg.indexBytes;
      if (seg.file.isOpen) open += 1;
    }
    for (const seg of this.#segments.values()) {
      if (bytes <= this.#limits.indexBytes && open <= this.#limits.maxOpenFiles) break;
      if (seg === keep || seg.busy || (!seg.indexed && !seg.file.isOpen)) continue;
      bytes -= seg.indexBytes;
      seg.dropIndex();
      if (seg.file.isOpen) open -= 1;
      void seg.file.closeIdle();
    }
  }

  /** Puts `seg` in place of the hour's segment (its file rewritten under the same name). */
  replace(seg: Segment): void {
    this.#segments.delete(seg.key);
    this.#segments.set(seg.key, seg);
  }

  /** Deletes an hour's file; false when it is in use and must wait for a later prune. */
  async delete(key: string): Promise<boolean> {
    const seg = this.#segments.get(key);
    if (!seg || seg.busy) return false;
    this.#segments.delete(key);
    await seg.file.close();
    await rm(seg.file.path, { force: true });
    // The day's folder goes with its last hour (rmdir refuses one that still holds files).
    await rmdir(dirname(seg.file.path)).catch(() => undefined);
    return true;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#creating.values()].map((p) => p.catch(() => undefined)));
    for (const seg of this.#segments.values()) await seg.file.close();
  }
}
