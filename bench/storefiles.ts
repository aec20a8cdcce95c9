/**
 * Reads what the daemon left in its store folder (src/store/file/ layout): how much it appended
 * to the message segments, and the state of the hot-state journal and snapshot.
 */
import { closeSync, copyFileSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** Every `messages/<day>/<hour>.jsonl` (and `inbound/…`) with its size, by path. */
export function segmentSizes(dataDir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const kind of ['messages', 'inbound']) {
    const root = join(dataDir, kind);
    let days: string[];
    try {
      days = readdirSync(root).filter((d) => /^\d{4}-\d\d-\d\d$/.test(d));
    } catch {
      continue;
    }
    for (const day of days) {
      for (const f of readdirSync(join(root, day)).filter((x) => /^\d\d\.jsonl$/.test(x))) {
        const file = join(root, day, f);
        out.set(file, statSync(file).size);
      }
    }
  }
  return out;
}

export interface Appended {
  /** Bytes appended to segment files since `before`. */
  bytes: number;
  /** Record versions (lines) appended. */
  lines: number;
  /** Distinct records those lines belong to. */
  records: number;
  /** Segment files written to. */
  files: number;
  /** Appended lines whose JSON is byte-identical to the previous appended line of the same record. */
  duplicates: number;
}

/** What was appended to the segments since the sizes in `before` were taken. */
export function appendedSince(dataDir: string, before: Map<string, number>): Appended {
  const ids = new Set<string>();
  const lastHash = new Map<string, string>();
  let duplicates = 0;
  let bytes = 0;
  let lines = 0;
  let files = 0;
  for (const [file, size] of segmentSizes(dataDir)) {
    const from = before.get(file) ?? 0;
    if (size <= from) continue;
    files += 1;
    bytes += size - from;
    const fd = openSync(file, 'r');
    try {
      const chunk = Buffer.alloc(8 * 2 ** 20);
      let pos = from;
      let carry = Buffer.alloc(0);
      while (pos < size) {
        const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - pos), pos);
        if (n <= 0) break;
        pos += n;
        const buf = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
        let start = 0;
        for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
          if (nl - start > 26 && buf[start + 26] === 9) {
            lines += 1;
            const id = buf.toString('latin1', start, start + 26);
            ids.add(id);
            const hash = createHash('sha1').update(buf.subarray(start + 27, nl)).digest('base64');
            if (lastHash.get(id) === hash) duplicates += 1;
            lastHash.set(id, hash);
          }
          start = nl + 1;
        }
        carry = Buffer.from(buf.subarray(start));
      }
    } finally {
      closeSync(fd);
    }
  }
  return { bytes, lines, records: ids.size, files, duplicates };
}

export interface HotFiles {
  /** `state.json`: size and the journal generation it continues (= snapshots folded so far, from 0). */
  snapshotBytes: number;
  generation: number;
  /** Size of the live journal(s). */
  journalBytes: number;
  /** Entries per collection in the snapshot. */
  collections: Record<string, number>;
  /** `JSON.stringify` of the snapshot, best of 3 in the bench process (what each fold runs synchronously). */
  stringifyMs?: number;
}

export function hotFiles(dataDir: string, options: { timeStringify?: boolean } = {}): HotFiles {
  let snapshotBytes = 0;
  let generation = 0;
  let collections: Record<string, number> = {};
  let stringifyMs: number | undefined;
  try {
    const text = readFileSync(join(dataDir, 'state.json'), 'utf8');
    snapshotBytes = Buffer.byteLength(text);
    const data = JSON.parse(text) as { generation?: number; collections?: Record<string, Record<string, unknown>> };
    generation = data.generation ?? 0;
    collections = Object.fromEntries(Object.entries(data.collections ?? {}).map(([k, v]) => [k, Object.keys(v).length]));
    if (options.timeStringify) {
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        JSON.stringify(data);
        best = Math.min(best, performance.now() - t);
      }
      stringifyMs = best;
    }
  } catch {
    // no snapshot yet
  }
  const journalBytes = readdirSync(dataDir).filter((f) => /^state\.journal\.\d+$/.test(f)).reduce((sum, f) => sum + statSync(join(dataDir, f)).size, 0);
  return { snapshotBytes, generation, journalBytes, collections, stringifyMs };
}

/**
 * A copy of a seeded store made of hard links, except files the daemon may append to: the store
 * appends to segment files in place (and to journals), so the newest `copyNewest` segments are
 * real copies; older segments are only ever read or deleted, and `state.json` is replaced by rename.
 */
export function linkStore(from: string, to: string, copyNewest = 2): void {
  const segments = [...segmentSizes(from).keys()].sort();
  const copy = new Set(segments.slice(-copyNewest));
  const walk = (src: string, dst: string) => {
    mkdirSync(dst, { recursive: true });
    for (const name of readdirSync(src)) {
      const s = join(src, name);
      const d = join(dst, name);
      if (statSync(s).isDirectory()) walk(s, d);
      else if (copy.has(s) || /^state\.journal\./.test(name)) copyFileSync(s, d);
      else linkSync(s, d);
    }
  };
  walk(from, to);
}
