import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AppendFile } from './append-file.js';
import type { CommitEnd } from './group-commit.js';
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

/** First line of a journal whose commits end in markers (older journals are a change a line). */
export const JOURNAL_HEADER = '["#journal",2]';
// `["#commit", {"messages/2026-11-28/20": 81234, …}]`: everything since the previous marker is one commit.
const COMMIT = '#commit';

/** What a marker says of the bytes its commit appended: `<collection>/<hour>` → [start, CRC-32]. */
export type AppendChecks = Record<string, [start: number, crc: number]>;

// `["#commit", {ends}, {checks}]`: the checks name the bytes written beside the marker (group-commit.ts).
export function commitLine(ends: readonly CommitEnd[]): string {
  const checks: AppendChecks = {};
  let checked = false;
  for (const [file, , start, crc] of ends) {
    if (start === undefined || crc === undefined) continue;
    checks[file] = [start, crc];
    checked = true;
  }
  const marked = Object.fromEntries(ends.map(([file, end]) => [file, end]));
  return JSON.stringify(checked ? [COMMIT, marked, checks] : [COMMIT, marked]);
}

/** Whether every append a marker names is on disk as written (see `CommitPoint`). */
export type VerifyCommit = (ends: Record<string, number>, checks: AppendChecks) => Promise<boolean>;

export interface Replayed {
  file: AppendFile;
  /** Whether the journal has markers: then only marked commits count. */
  marked: boolean;
}

/**
 * Opens a journal (cutting a torn tail, so the next append starts on its own line) and streams
 * its committed operations to `apply` and its markers' segment ends to `onEnds`. In a marked
 * journal, operations after the last marker belong to a commit that never reached its commit
 * point: they are not applied, and the file is cut back to the marker. With `verify` (the newest
 * journal), the last marker counts only if the appends it names are on disk whole: they were
 * written beside it, and a crash may have cut them short. Every earlier marker was followed by
 * another commit, which began only once all of its bytes were written.
 */
export async function replayJournal(dir: string, generation: number, apply: (op: JournalOp) => void, onEnds: (ends: Record<string, number>) => void, verify?: VerifyCommit): Promise<Replayed> {
  const file = await AppendFile.open(journalPath(dir, generation));
  let marked = false;
  let committedAt = 0;
  // The newest marked commit, held back until a later marker (or `verify`) confirms it.
  let last: { ops: JournalOp[]; ends: Record<string, number>; checks?: AppendChecks; at: number } | undefined;
  const confirm = () => {
    if (!last) return;
    for (const p of last.ops) apply(p);
    onEnds(last.ends);
    committedAt = last.at;
    last = undefined;
  };
  await file.use(async (fh) => {
    let offset = 0;
    let pending: JournalOp[] = [];
    for await (const line of readLines(fh, file.size)) {
      offset += Buffer.byteLength(line) + 1;
      if (!line) continue;
      let op: JournalOp;
      try {
        op = JSON.parse(line) as JournalOp;
      } catch {
        continue; // a whole line that does not parse was never written by this store; skip it
      }
      if (offset === Buffer.byteLength(line) + 1 && line === JOURNAL_HEADER) {
        marked = true;
        committedAt = offset;
      } else if (!marked) {
        apply(op);
      } else if (op[0] === COMMIT) {
        confirm();
        last = { ops: pending, ends: op[1] as unknown as Record<string, number>, checks: op[2] as AppendChecks | undefined, at: offset };
        pending = [];
      } else {
        pending.push(op);
      }
    }
  });
  if (last && (!verify || !last.checks || (await verify(last.ends, last.checks)))) confirm();
  if (marked) await file.truncateTo(committedAt);
  return { file, marked };
}

/** Removes the journals a snapshot has made obsolete (best effort: open skips and removes them too). */
export async function removeJournalsBefore(dir: string, generation: number): Promise<void> {
  for (const g of await journalGenerations(dir)) {
    if (g < generation) await unlink(journalPath(dir, g)).catch(() => undefined);
  }
}
