import type { FileHandle } from 'node:fs/promises';

/** Bytes read per step: a restart streams files through this, never holding a whole hour. */
export const CHUNK = 1024 * 1024;
export const ID_LENGTH = 26;
// A record line is `<26-char id>\t<json>\n`: the id and its tab are the line's head.
const HEAD = ID_LENGTH + 1;

/**
 * Streams `[from, to)` of a segment file and reports where each record line starts, with its id.
 * Only heads are decoded, so indexing an 18 MB hour costs one chunk of memory, not the file.
 * Returns the end of the last complete line: anything after it is a torn tail.
 */
export async function scanLineStarts(fh: FileHandle, from: number, to: number, onLine: (id: string, offset: number) => void): Promise<number> {
  const buf = Buffer.allocUnsafe(CHUNK);
  let end = from;
  // The line whose newline is not seen yet (it spans chunks), with its id when it has one.
  let open: { start: number; id?: string } | null = null;
  let carry: Buffer | null = null;
  for (let pos = from; pos < to;) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, to - pos), pos);
    if (bytesRead === 0) break;
    let chunk = buf.subarray(0, bytesRead);
    let base = pos;
    pos += bytesRead;
    if (carry) {
      chunk = Buffer.concat([carry, chunk]);
      base -= carry.length;
      carry = null;
    }
    for (let r = 0; r < chunk.length;) {
      if (!open) {
        // A head cut by the chunk's end is decoded with the next chunk.
        if (chunk.length - r < HEAD && pos < to) {
          carry = Buffer.from(chunk.subarray(r));
          break;
        }
        open = { start: base + r, id: chunk[r + ID_LENGTH] === 9 ? chunk.toString('latin1', r, r + ID_LENGTH) : undefined };
      }
      const nl = chunk.indexOf(10, r);
      if (nl === -1) break;
      if (open.id !== undefined) onLine(open.id, open.start);
      open = null;
      end = base + nl + 1;
      r = nl + 1;
    }
  }
  return end;
}

/**
 * Streams the complete lines of `[0, to)` with where each starts, newline cut off; a torn tail is
 * skipped. A line is a view of the read buffer: valid until the next one is asked for.
 */
export async function* readLinesAt(fh: FileHandle, to: number): AsyncGenerator<[offset: number, line: Buffer]> {
  const buf = Buffer.allocUnsafe(CHUNK);
  let carry = Buffer.alloc(0);
  for (let pos = 0; pos < to;) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, to - pos), pos);
    if (bytesRead === 0) break;
    const base = pos - carry.length;
    pos += bytesRead;
    // Byte 10 never occurs inside a UTF-8 sequence, so splitting bytes on it is safe.
    const chunk = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      yield [base + start, chunk.subarray(start, nl)];
      start = nl + 1;
    }
    carry = Buffer.from(chunk.subarray(start));
  }
}

/** Streams the complete lines of `[0, to)` as strings (the journal's replay); a torn tail is skipped. */
export async function* readLines(fh: FileHandle, to: number): AsyncGenerator<string> {
  for await (const [, line] of readLinesAt(fh, to)) yield line.toString('utf8');
}
