import { constants } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { cutTornTail, fsyncDir, truncateQuietly, writeFully } from './safe-write.js';

// Appends are opened O_DSYNC where the platform has it: each write returns once its bytes (and the
// size that reaches them) are on disk, as write + fdatasync would, in one trip to the thread pool
// instead of two. A group commit waits for its slowest file (group-commit.ts), so each trip it
// saves is a wait the event loop no longer adds to every commit.
const SYNC_WRITES = constants.O_DSYNC ?? 0;
const OPEN_FLAGS = constants.O_RDWR | SYNC_WRITES;

/** A durable write that counts only once its commit succeeded. */
export interface StagedAppend {
  /** Where the data starts. */
  readonly start: number;
  confirm(): void;
  undo(): Promise<void>;
}

/**
 * An append-only file written at explicit positions from its last known-good size. Not opened in
 * `a` mode: there Linux ignores the position, and an append after a failed one would land behind
 * the torn bytes, glued to a half line. A failed write is truncated away (best effort) and its
 * bytes are never counted; the handle can be closed when idle and reopens on demand.
 */
export class AppendFile {
  readonly path: string;
  #size: number;
  // Bytes a failed append may have left past #size, when truncating them failed too.
  #dirtyTail = false;
  #fh: Promise<FileHandle> | null;
  #staged = false;
  #busy = 0;
  #closed = false;

  private constructor(path: string, size: number, fh: FileHandle | null) {
    this.path = path;
    this.#size = size;
    this.#fh = fh && Promise.resolve(fh);
  }

  /**
   * A file known to be `size` bytes of whole, committed lines (its size matched the end the last
   * commit marker names): nothing to check or cut, so it is not opened until it is used.
   */
  static closed(path: string, size: number): AppendFile {
    return new AppendFile(path, size, null);
  }

  /** Opens or creates the file (making a new entry durable) and cuts a torn last line. */
  static async open(path: string): Promise<AppendFile> {
    let fh: FileHandle;
    try {
      fh = await open(path, OPEN_FLAGS);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const made = await mkdir(dirname(path), { recursive: true });
      fh = await open(path, OPEN_FLAGS | constants.O_CREAT);
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

  /** True from a staged write until it is confirmed or undone. */
  get staged(): boolean {
    return this.#staged;
  }

  /** True while a read or an append uses the handle: it must not be closed under them. */
  get busy(): boolean {
    return this.#busy > 0;
  }

  get isOpen(): boolean {
    return this.#fh !== null;
  }

  /**
   * Writes `data` durably (a synchronous write, or write + datasync) after the known-good size.
   * The bytes count only once confirmed, when the whole commit holding them succeeded; until then
   * readers do not see them, and `undo` cuts them again. One staged write at a time.
   */
  async stage(data: Buffer): Promise<StagedAppend> {
    if (this.#staged) throw new Error(`${this.path}: a write is already staged`);
    this.#staged = true;
    const start = this.#size;
    try {
      await this.use((fh) => this.#write(fh, data, start));
    } catch (err) {
      this.#staged = false;
      throw err;
    }
    return {
      start,
      confirm: () => {
        this.#size = start + data.length;
        this.#staged = false;
      },
      undo: async () => {
        this.#dirtyTail = !(await this.use((fh) => this.#cut(fh, start)).catch(() => false));
        this.#staged = false;
      },
    };
  }

  /** Stages and confirms at once, for a write that is a commit of its own; resolves with its start. */
  async append(data: Buffer): Promise<number> {
    const staged = await this.stage(data);
    staged.confirm();
    return staged.start;
  }

  async #write(fh: FileHandle, data: Buffer, start: number): Promise<void> {
    try {
      await writeFully(fh, data, start);
      // A truncate is not a write: O_DSYNC does not make it durable.
      if (this.#dirtyTail) await fh.truncate(start + data.length);
      if (this.#dirtyTail || !SYNC_WRITES) await fh.datasync();
    } catch (err) {
      this.#dirtyTail = !(await this.#cut(fh, start));
      throw err;
    }
    this.#dirtyTail = false;
  }

  /** Cuts the file back to `size`; best effort, the caller's error is what counts. */
  async #cut(fh: FileHandle, size: number): Promise<boolean> {
    if (!(await truncateQuietly(fh, size))) return false;
    await fh.datasync().catch(() => undefined);
    return true;
  }

  /**
   * Cuts the file back to `size` at open: the bytes past it belong to a commit whose commit point
   * (the journal's marker) was never written, so they were never acknowledged.
   */
  async truncateTo(size: number): Promise<void> {
    if (size >= this.#size) return;
    await this.use(async (fh) => {
      await fh.truncate(size);
      await fh.datasync();
    });
    this.#size = size;
  }

  /** Runs `fn` with the open handle, keeping it open meanwhile. */
  async use<R>(fn: (fh: FileHandle) => Promise<R>): Promise<R> {
    if (this.#closed) throw Object.assign(new Error(`${this.path} is closed`), { code: 'ESTORECLOSED' });
    this.#busy += 1;
    try {
      if (!this.#fh) {
        const opening = open(this.path, OPEN_FLAGS);
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

  async close(): Promise<void> {
    this.#closed = true;
    const fh = this.#fh;
    this.#fh = null;
    await fh?.then((h) => h.close()).catch(() => undefined);
  }
}
