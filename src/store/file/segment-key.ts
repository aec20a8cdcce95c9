import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { idTime } from '../../ids.js';

const pad = (n: number) => String(n).padStart(2, '0');

let lastHour = Number.NaN;
let lastKey = '';

/** `2026-11-23/17`: one file an hour in a folder a day, so retention deletes whole files. */
export function segmentKey(ms: number): string {
  const hour = Math.floor(ms / 3_600_000);
  if (hour !== lastHour) {
    const d = new Date(hour * 3_600_000);
    lastKey = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}/${pad(d.getUTCHours())}`;
    lastHour = hour;
  }
  return lastKey;
}

/** The partition a ULID names, or undefined when it is not one. */
export function keyOfId(id: string): string | undefined {
  const time = idTime(id);
  return time === undefined ? undefined : segmentKey(time);
}

export const segmentPath = (dir: string, key: string): string => join(dir, `${key}.jsonl`);

/** The segments on disk, oldest first: one `readdir` a day folder. */
export async function segmentKeysOnDisk(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const day of await readdir(dir).catch(() => [] as string[])) {
    if (!/^\d{4}-\d\d-\d\d$/.test(day)) continue;
    for (const f of await readdir(join(dir, day)).catch(() => [] as string[])) {
      if (/^\d\d\.jsonl$/.test(f)) found.push(`${day}/${f.slice(0, 2)}`);
    }
  }
  return found.sort();
}
