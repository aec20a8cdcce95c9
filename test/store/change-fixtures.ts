import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createIdFactory } from '../../src/ids.js';
import type { Message } from '../../src/model.js';
import type { FileStoreOptions } from '../../src/store/file/index.js';
import { MESSAGE_CHANGES } from '../../src/store/message-changes.js';
import { openStore } from './helpers.js';

/** What the change-record tests share: one hour of messages in a file store that writes changes. */
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const AT = Date.parse('2026-11-23T08:15:00Z');
export const newId = createIdFactory();
export const iso = (ms: number) => new Date(ms).toISOString();

/** Temp folders removed after each test of the file calling this. */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}

export const open = (dir: string, extra: Partial<FileStoreOptions> = {}) => openStore(dir, { changes: MESSAGE_CHANGES, ...extra });
export type ChangeStore = Awaited<ReturnType<typeof open>>;
export const hourFile = (dir: string, at = AT) => join(dir, 'messages', iso(at).slice(0, 10), `${iso(at).slice(11, 13)}.jsonl`);
/** What a version reads back as: its JSON form (undefined keys gone), frozen at the put. */
export const asStored = (m: Message) => JSON.parse(JSON.stringify(m)) as Message;

/** Puts `m` and commits. */
export async function putCommitted(store: ChangeStore, m: Message): Promise<void> {
  store.messages.put(m);
  await store.commit();
}
