import { mkdir, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';
import { fsyncDir, writeFully } from './safe-write.js';

/**
 * A lowdb adapter that survives power loss: compact JSON to a temp file (every byte counted),
 * fsync, rename over the target, fsync the folder. A failed write removes its temp file, so a
 * full disk is not made fuller by half snapshots. (lowdb's own JSONFile pretty-prints and renames
 * without fsync.)
 */
export class DurableJSONFile<T> implements Adapter<T> {
  #path: string;
  #writes: () => void;
  /** Size of the last write, in bytes: what the next rewrite will cost. */
  lastLength = 0;

  constructor(path: string, onWrite: () => void = () => {}) {
    this.#path = path;
    this.#writes = onWrite;
  }

  async read(): Promise<T | null> {
    try {
      return JSON.parse(await readFile(this.#path, 'utf8')) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async write(data: T): Promise<void> {
    const dir = dirname(this.#path);
    const tmp = join(dir, `.${basename(this.#path)}.${process.pid}.tmp`);
    await mkdir(dir, { recursive: true });
    const fh = await open(tmp, 'w');
    try {
      const body = new BodyWriter(fh);
      await this.writeBody(body, data);
      this.lastLength = body.length;
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await fh.close();
    await rename(tmp, this.#path);
    await fsyncDir(dir);
    this.#writes();
  }

  /** Writes the serialized document; a subclass may stream it. */
  protected async writeBody(body: BodyWriter, data: T): Promise<void> {
    await body.write(JSON.stringify(data));
  }
}

/** Sequential writes to a new file, each checked for its full byte count. */
export class BodyWriter {
  readonly #fh: FileHandle;
  length = 0;

  constructor(fh: FileHandle) {
    this.#fh = fh;
  }

  async write(text: string): Promise<void> {
    const data = Buffer.from(text, 'utf8');
    await writeFully(this.#fh, data, this.length);
    this.length += data.length;
  }
}
