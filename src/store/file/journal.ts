import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AppendFile } from './append-file.js';
import { readLines } from './line-scan.js';

/** A hot-state change: `[map, key, value]` sets, `[map, key]` deletes. */
export type JournalOp = [string, string, unknown?];

export const journalPath = (dir: string, generation: number): string => join(dir, `state.journal.${generation}`);

/** Generations of the journals in `dir`, oldest first. */
export async function journalGenerations(dir: string): Promise<number[]> {
  return (await readdir(dir).catch(() => [] as string[]))
    .map((f) => /^state\.journal\.(\d+)$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/**
 * Opens a journal (cutting a torn tail, so the next append starts on its own line) and streams
 * its operations to `apply`.
 */
export async function replayJournal(dir: string, generation: number, apply: (op: JournalOp) => void): Promise<AppendFile> {
  const file = await AppendFile.open(journalPath(dir, generation));
  await file.use(async (fh) => {
    for await (const line of readLines(fh, file.size)) {
      if (!line) continue;
      let op: JournalOp;
      try {
        op = JSON.parse(line) as JournalOp;
      } catch {
        continue; // a whole line that does not parse was never written by this store; skip it
      }
      apply(op);
    }
  });
  return file;
}

/** Removes the journals a snapshot has made obsolete (best effort: open skips and removes them too). */
export async function removeJournalsBefore(dir: string, generation: number): Promise<void> {
  for (const g of await journalGenerations(dir)) {
    if (g < generation) await unlink(journalPath(dir, g)).catch(() => undefined);
  }
}
