import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { AppendChecks } from './journal.js';

/**
 * Whether every append a commit marker names is on disk as its commit wrote it: all of its bytes,
 * with the CRC-32 the marker gives. A file that is gone was deleted by retention after the commit
 * (a commit makes its new files durable before writing to them), so nothing of it is left to cut.
 *
 * @example await appendsOnDisk((file) => join(dir, `${file}.jsonl`), ends, checks)
 */
export async function appendsOnDisk(pathOf: (file: string) => string, ends: Record<string, number>, checks: AppendChecks): Promise<boolean> {
  for (const [file, [start, crc]] of Object.entries(checks)) {
    const length = (ends[file] ?? start) - start;
    const fh = await open(pathOf(file), 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!fh) continue;
    try {
      const bytes = Buffer.alloc(length);
      const { bytesRead } = await fh.read(bytes, 0, length, start);
      if (bytesRead < length || crc32(bytes) !== crc) return false;
    } finally {
      await fh.close();
    }
  }
  return true;
}
