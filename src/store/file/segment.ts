import { readSync } from 'node:fs';
import { AppendFile } from './append-file.js';
import { readLinesAt, scanLineStarts } from './line-scan.js';

/**
 * What one index entry costs in V8, roughly (a 26-character id string, a number, the Map's
 * slot), so the index budget can be given in bytes.
 */
export const INDEX_ENTRY_BYTES = 100;

// Most records fit the first read; a bigger one doubles the buffer until its newline shows up.
// Under 4 KiB, Buffer.allocUnsafe takes from Node's shared pool: a timer burst that reads
// thousands of messages back costs no fresh allocation per read (16 KiB ones showed as ~25 % of
// the main thread while 30k fallbacks fired).
const FIRST_READ = 4095;

/**
 * One hourly file and, while it is in use, the index of where each record's newest version
 * starts. An entry is only the offset: a JS number is exact to 2^53 bytes, and a record is read
 * from its offset to its newline, so nothing caps a file's size.
 */
export class Segment {
  readonly key: string;
  readonly file: AppendFile;
  #index: Map<string, number> | null = null;
  #loading: Promise<Map<string, number>> | null = null;

  constructor(key: string, file: AppendFile) {
    this.key = key;
    this.file = file;
  }

  get indexed(): boolean {
    return this.#index !== null;
  }

  get indexBytes(): number {
    return (this.#index?.size ?? 0) * INDEX_ENTRY_BYTES;
  }

  get busy(): boolean {
    return this.file.busy || this.#loading !== null;
  }

  /** The index, streamed from the file once however many callers ask for it at the same time. */
  loadIndex(): Promise<Map<string, number>> {
    if (this.#index) return Promise.resolve(this.#index);
    this.#loading ??= this.#scan().finally(() => {
      this.#loading = null;
    });
    return this.#loading;
  }

  async #scan(): Promise<Map<string, number>> {
    const index = new Map<string, number>();
    return this.file.use(async (fh) => {
      // Appends may land while this reads: go on until caught up, then the index is exact and
      // later appends keep it so (noteWritten).
      for (let scanned = 0; scanned < this.file.size;) {
        const end = await scanLineStarts(fh, scanned, this.file.size, (id, offset) => index.set(id, offset));
        if (end === scanned) break;
        scanned = end;
      }
      this.#index = index;
      return index;
    });
  }

  /** Records a line that is written and synced (never before). */
  noteWritten(id: string, offset: number): void {
    this.#index?.set(id, offset);
  }

  dropIndex(): void {
    if (!this.#loading) this.#index = null;
  }

  /**
   * The line starting at `offset`, newline included; undefined when none ends before the file does.
   * Read synchronously: one small read of a file written or read lately, which the OS nearly always
   * still caches, takes microseconds; handed to libuv's threadpool it cost the loop a thread switch
   * each time on 2 cores (100k fallbacks firing, reading their messages: timer lag p99 27–171 ms
   * in seven runs, 14 and 25 ms with these). A line the OS no longer caches holds the loop for one
   * disk read.
   */
  readLine(offset: number): Promise<Buffer | undefined> {
    return this.file.use(async (fh) => {
      let buf = Buffer.allocUnsafe(FIRST_READ);
      for (let have = 0; ;) {
        const want = Math.min(buf.length - have, this.file.size - offset - have);
        if (want <= 0) return undefined;
        const bytesRead = readSync(fh.fd, buf, have, want, offset + have);
        if (bytesRead === 0) return undefined;
        const nl = buf.subarray(0, have + bytesRead).indexOf(10, have);
        have += bytesRead;
        if (nl !== -1) return buf.subarray(0, nl + 1);
        if (have === buf.length) {
          const bigger = Buffer.allocUnsafe(buf.length * 2);
          buf.copy(bigger, 0, 0, have);
          buf = bigger;
        }
      }
    });
  }

  /**
   * Streams every stored line (all versions, oldest first, newline cut off) with its offset; for
   * rebuilding secondary indexes. `fn` may wait (the next line is read after), and must not keep
   * the buffer it is given.
   */
  async forEachLine(fn: (offset: number, line: Buffer) => void | Promise<void>): Promise<void> {
    await this.file.use(async (fh) => {
      for await (const [offset, line] of readLinesAt(fh, this.file.size)) {
        const waiting = fn(offset, line);
        if (waiting) await waiting;
      }
    });
  }
}
