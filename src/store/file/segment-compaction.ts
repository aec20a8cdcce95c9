import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppendFile } from './append-file.js';
import { forEachVersion } from './record-chain.js';
import { wholeLine } from './record-line.js';
import { fsyncDir, writeFully } from './safe-write.js';
import type { Segment } from './segment.js';

// The first line of a compacted hour: no id and no tab, so every reader passes over it.
export const COMPACTED_HEAD = Buffer.from('#compacted\n');
// Whole lines gathered before one write, so a big hour is never held in memory at once.
const WRITE_CHUNK = 1024 * 1024;
const HOLE_LINE = 1024 * 1024;
const NEWLINE = Buffer.from('\n');

/**
 * Rewrites an hour as the newest version of each record, whole, and puts the new file in place of
 * the old one; resolves with the new file, or undefined when that would save nothing.
 *
 * The new file keeps the old one's size: its lines are followed by a hole (never written, so it
 * takes no disk) cut into lines by a newline every MiB and at the old end. The commit markers name that end, so nothing about
 * them changes: a crash before the rename leaves the old file, one after it the new, and an
 * append past the end that no marker names is cut at open exactly as before. Readers pass over
 * the hole as a line without an id. The caller sees to it that nothing appends meanwhile.
 */
export async function compactSegment(seg: Segment): Promise<AppendFile | undefined> {
  const end = seg.file.size;
  const newest = await seg.loadIndex();
  const temp = `${seg.file.path}.compacting`;
  const fh = await open(temp, 'w');
  let written = 0;
  try {
    let chunk: Buffer[] = [COMPACTED_HEAD];
    let bytes = COMPACTED_HEAD.length;
    const flush = async () => {
      const data = Buffer.concat(chunk);
      await writeFully(fh, data, written);
      written += data.length;
      chunk = [];
      bytes = 0;
    };
    // One pass over the hour, folding as it goes; a record is written at its newest line.
    await forEachVersion<{ id: string }>(seg, (record, offset) => {
      if (newest.get(record.id) !== offset || written + bytes >= end) return undefined;
      const line = wholeLine(record.id, JSON.stringify(record));
      chunk.push(line);
      bytes += line.length;
      return bytes >= WRITE_CHUNK ? flush() : undefined;
    });
    if (written + bytes >= end) {
      await fh.close();
      await rm(temp, { force: true });
      return undefined;
    }
    await flush();
    // A newline a MiB through the hole too: a reader streaming lines never holds more of it.
    for (let nl = written + HOLE_LINE - 1; nl < end - 1; nl += HOLE_LINE) await writeFully(fh, NEWLINE, nl);
    await writeFully(fh, NEWLINE, end - 1);
    await fh.datasync();
  } catch (err) {
    await fh.close();
    await rm(temp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(temp, seg.file.path);
  await fsyncDir(dirname(seg.file.path));
  return AppendFile.open(seg.file.path);
}

/** Whether an hour was compacted once already (changes written later may follow its lines). */
export async function isCompacted(seg: Segment): Promise<boolean> {
  if (seg.file.size < COMPACTED_HEAD.length) return false;
  return seg.file.use(async (fh) => {
    const buf = Buffer.alloc(COMPACTED_HEAD.length);
    await fh.read(buf, 0, buf.length, 0);
    return buf.equals(COMPACTED_HEAD);
  });
}
