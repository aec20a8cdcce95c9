import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';

/**
 * A lowdb adapter that survives power loss: compact JSON to a temp file, fsync, rename over the
 * target, fsync the folder. (lowdb's own JSONFile pretty-prints and renames without fsync.)
 */
export class DurableJSONFile<T> implements Adapter<T> {
  #path: string;
  #writes: () => void;
  /** Size of the last write, in characters: what the next rewrite will cost. */
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
      this.lastLength = await this.writeBody(fh, data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.#path);
    await fsyncDir(dir);
    this.#writes();
  }

  /** Writes the serialized document; a subclass may stream it. Returns its length in characters. */
  protected async writeBody(fh: FileHandle, data: T): Promise<number> {
    const text = JSON.stringify(data);
    await fh.writeFile(text, 'utf8');
    return text.length;
  }
}

/** Makes a folder's entries (a new or renamed file) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
