/** What a daemon logged (level warn and up, since the bench runs it at `log.level: warn`), tallied. */
import { readFileSync } from 'node:fs';

export interface LogTally {
  count: number;
  /** `msg`, and the error's message when there is one. */
  what: string;
}

/** The most frequent log lines of `file` by message, most frequent first. */
export function tallyLog(file: string, top = 4): LogTally[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let what: string;
    try {
      const j = JSON.parse(line) as { msg?: string; err?: { message?: string } };
      what = [j.msg, j.err?.message].filter(Boolean).join(': ');
    } catch {
      what = line.slice(0, 120);
    }
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, top).map(([what, count]) => ({ count, what }));
}

/** `3 × "timer handler failed; …", 1 × …` for a report, or `nothing`. */
export const describeTally = (t: LogTally[] | undefined): string => (t && t.length ? t.map((x) => `${x.count.toLocaleString('en-US')} × “${x.what.slice(0, 140)}”`).join('; ') : 'nothing');
