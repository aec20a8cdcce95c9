import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileStore, type FileStoreOptions } from '../../src/store/file/index.js';

export interface Tmpfs {
  dir: string;
  /** Bytes still free on it. */
  free(): number;
  /** Writes a filler file that leaves about `leave` bytes free (rounded to pages). */
  fill(leave?: number): string;
  unmount(): void;
}

/** A small tmpfs (CI runs as root); throws when it cannot be mounted, so no test silently skips. */
export function mountTmpfs(size: string): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'sb-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  let fillers = 0;
  const free = () => {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  };
  return {
    dir,
    free,
    fill(leave = 0) {
      const file = join(dir, `filler-${(fillers += 1)}`);
      writeFileSync(file, Buffer.alloc(Math.max(0, free() - leave)));
      return file;
    },
    unmount() {
      // Lazy: a test that failed with files still open must not leave the mount behind.
      execFileSync('umount', ['--lazy', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The store as the app opens it, with a test's options on top. */
export function openStore(dir: string, extra: Partial<FileStoreOptions> = {}) {
  return openFileStore({ dir, indexWindowMs: 86_400_000, indexKeys: () => [], ...extra });
}

/**
 * What a crash leaves: the files as they are, and a LOCK whose holder is gone. (The test process
 * is alive, so the lock is handed over by removing it, as a restart after `kill -9` would take it.)
 */
export function crashLeftovers(dir: string): void {
  rmSync(join(dir, 'LOCK'), { force: true });
}
