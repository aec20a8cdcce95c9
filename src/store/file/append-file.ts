import { constants } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { cutTornTail, fsyncDir, truncateQuietly, writeFully } from './safe-write.js';

/**
 * An append-only file written at explicit positions from its last known-good size. Not opened in
 * `a` mode: there Linux ignores the position, and an append after a failed one would land behind
 * the torn bytes, glued to a half line. A failed append is truncated away (best effort) and its
 * bytes are never counted; the handle can be closed when idle and reopens on demand.
 */
export class AppendFile {
  readonly path: string;
  #size: number;
  // Bytes a failed append may have left past #size, when truncating them failed too.
  #dirtyTail = false;
  #fh: Promise<FileHandle> | null;
  #queue: Promise<unknown> = Promise.resolve();
  #busy = 0;
  #closed = false;

  private constructor(path: string, size: number, fh: FileHandle) {
    this.path = path;
    this.#size = size;
    this.#fh = Promise.resolve(fh);
  }

  /** Opens or creates the file (making a new entry durable) and cuts a torn last line. */
  static async open(path: string): Promise<AppendFile> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const made = await mkdir(dirname(path), { recursive: true });
      fh = await open(path, constants.O_RDWR | constants.O_CREAT);
      // Every folder this created, and the one holding it, must keep its new entry after a crash.
      const top = made === undefined ? dirname(path) : dirname(made);
      for (let dir = dirname(path); ; dir = dirname(dir)) {
        await fsyncDir(dir);
        if (dir === top || dir === dirname(dir)) break;
      }
    }
    try {
      return new AppendFile(path, await cutTornTail(fh), fh);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Bytes of whole, written lines. */
  get size(): number {
    return this.#size;
  }

  /** True while a read or an append uses the handle: it must not be closed under them. */
  get busy(): boolean {
    return this.#busy > 0;
  }

  get isOpen(): boolean {
    return this.#fh !== null;
  }

  /** Appends `data` durably (write + datasync) and resolves with where it starts. */
  append(data: Buffer): Promise<number> {
    const run = this.#queue.then(() => this.use((fh) => this.#append(fh, data)));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #append(fh: FileHandle, data: Buffer): Promise<number> {
    const start = this.#size;
    try {
      await writeFully(fh, data, start);
      if (this.#dirtyTail) await fh.truncate(start + data.length);
      await fh.datasync();
    } catch (err) {
      this.#dirtyTail = !(await truncateQuietly(fh, start));
      throw err;
    }
    this.#dirtyTail = false;
    this.#size = start + data.length;
    return start;
  }

  /** Runs `fn` with the open handle, keeping it open meanwhile. */
  async use<R>(fn: (fh: FileHandle) => Promise<R>): Promise<R> {
    if (this.#closed) throw Object.assign(new Error(`${this.path} is closed`), { code: 'ESTORECLOSED' });
    this.#busy += 1;
    try {
      if (!this.#fh) {
        const opening = open(this.path, 'r+');
        this.#fh = opening;
        opening.catch(() => {
          if (this.#fh === opening) this.#fh = null;
        });
      }
      return await fn(await this.#fh);
    } finally {
      this.#busy -= 1;
    }
  }

  /** Closes the handle if nothing uses it; the next use reopens it. */
  async closeIdle(): Promise<void> {
    if (this.busy || !this.#fh) return;
    const fh = this.#fh;
    this.#fh = null;
    await fh.then((h) => h.close()).catch(() => undefined);
  }

  /** Waits for queued appends, then closes. */
  async close(): Promise<void> {
    await this.#queue;
    this.#closed = true;
    const fh = this.#fh;
    this.#fh = null;
    await fh?.then((h) => h.close()).catch(() => undefined);
  }
}
