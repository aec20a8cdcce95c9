import { open, type FileHandle } from 'node:fs/promises';

/**
 * `FileHandle.write` may write fewer bytes than asked (a full disk, a signal): this loops until
 * every byte is at `position` or throws, so nothing half-written is ever taken for written.
 */
export async function writeFully(fh: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
    // A zero-byte write would loop forever; it only happens when the device takes nothing more.
    if (bytesWritten <= 0) throw Object.assign(new Error(`short write: ${done} of ${data.length} bytes`), { code: 'ENOSPC' });
    done += bytesWritten;
  }
}

/** Cuts what a failed write may have left past `size`; best effort, the caller's error is what counts. */
export async function truncateQuietly(fh: FileHandle, size: number): Promise<boolean> {
  try {
    await fh.truncate(size);
    return true;
  } catch {
    return false;
  }
}

const TAIL_CHUNK = 64 * 1024;

/**
 * Where the last complete line of a JSON-lines file ends: a crash mid-append leaves a torn line
 * after it, which was never acknowledged. Reads backwards from `size`, a chunk at a time.
 */
export async function endOfLastLine(fh: FileHandle, size: number): Promise<number> {
  if (size === 0) return 0;
  // Nearly always the file ends a line: one byte says so. (A start opens a month of hourly
  // segments; a 64 KiB read each was 46 MB read and allocated.)
  const last = Buffer.allocUnsafe(1);
  const { bytesRead: got } = await fh.read(last, 0, 1, size - 1);
  if (got === 1 && last[0] === 10) return size;
  const buf = Buffer.allocUnsafe(TAIL_CHUNK);
  for (let end = size; end > 0;) {
    const start = Math.max(0, end - TAIL_CHUNK);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    const nl = buf.subarray(0, bytesRead).lastIndexOf(10);
    if (nl !== -1) return start + nl + 1;
    end = start;
  }
  return 0;
}

/**
 * Truncates a torn last line, so the next append starts on a line of its own; returns the size of
 * the file's whole lines.
 */
export async function cutTornTail(fh: FileHandle): Promise<number> {
  const { size } = await fh.stat();
  const good = await endOfLastLine(fh, size);
  if (good < size) {
    await fh.truncate(good);
    await fh.datasync();
  }
  return good;
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
