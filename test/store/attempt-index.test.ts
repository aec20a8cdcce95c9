import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createIdFactory } from '../../src/ids.js';
import type { Message } from '../../src/model.js';
import { crashLeftovers, openStore } from './helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse('2026-11-23T08:15:00Z');

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-attempt-index-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

type Keyed = Message & { keys: string[] };
const message = (at: number, keys: string[]): Keyed => ({ id: createIdFactory()(at), keys }) as unknown as Keyed;

/** indexKeys as the engine gives it, counting the messages the store parsed through it. */
function countingKeys() {
  const parsed: string[] = [];
  return { parsed, indexKeys: (m: Message) => (parsed.push(m.id), (m as Keyed).keys) };
}

/** A send as the engine makes it: the index entry, then the version of the message naming it. */
function send(store: Awaited<ReturnType<typeof openStore>>, m: Keyed): void {
  for (const k of m.keys) store.attemptIndex.set(k, m.id);
  store.messages.put(m);
}

const journals = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('state.journal.')).map((f) => join(dir, f));

/** What a store written before the index was persisted looks like: no index lines, no coverage. */
function forgetPersistedIndex(dir: string): void {
  for (const j of journals(dir)) {
    writeFileSync(j, readFileSync(j, 'utf8').split('\n').filter((l) => !l.startsWith('["attemptIndex')).join('\n'));
  }
  const state = join(dir, 'state.json');
  if (existsSync(state)) {
    const doc = JSON.parse(readFileSync(state, 'utf8')) as { collections: Record<string, unknown> };
    delete doc.collections.attemptIndex;
    delete doc.collections.attemptIndexCoverage;
    writeFileSync(state, JSON.stringify(doc));
  }
}

describe('the persisted attempt index (receipts find their message after a restart)', () => {
  it('survives a restart without a single message being parsed', async () => {
    const dir = tempDir();
    const store = await openStore(dir, { now: () => NOW });
    const a = message(NOW - HOUR, ['a/1']);
    const b = message(NOW, ['b/1', 'b/2']);
    send(store, a);
    send(store, b);
    await store.commit();
    await store.close();

    const keys = countingKeys();
    const again = await openStore(dir, { now: () => NOW, indexKeys: keys.indexKeys });
    try {
      expect(keys.parsed).toEqual([]);
      expect(Object.fromEntries(again.attemptIndex.entries())).toEqual({ 'a/1': a.id, 'b/1': b.id, 'b/2': b.id });
      expect(await again.messages.get((await again.attemptIndex.fetch('b/2'))!)).toEqual(b);
    } finally {
      await again.close();
    }
  });

  it('is rebuilt from the window’s segments when missing (a store from before it was persisted), once', async () => {
    const dir = tempDir();
    const store = await openStore(dir, { now: () => NOW });
    const recent = message(NOW - HOUR, ['a/1']);
    const updated = message(NOW, ['b/1']);
    const old = message(NOW - 3 * DAY, ['c/1']);
    for (const m of [recent, updated, old]) send(store, m);
    await store.commit();
    send(store, { ...updated, keys: ['b/1', 'b/2'] });
    await store.commit();
    await store.close();
    forgetPersistedIndex(dir);
    crashLeftovers(dir);

    const first = countingKeys();
    const again = await openStore(dir, { now: () => NOW, indexKeys: first.indexKeys });
    // The old message is outside the one-day window: its hour is not read.
    expect(first.parsed.sort()).toEqual([recent.id, updated.id, updated.id].sort());
    expect(Object.fromEntries(again.attemptIndex.entries())).toEqual({ 'a/1': recent.id, 'b/1': updated.id, 'b/2': updated.id });
    expect((await again.messages.get((await again.attemptIndex.fetch('a/1'))!))?.id).toBe(recent.id);
    await again.close();

    // What was parsed was committed at open: the next start reads it back.
    const second = countingKeys();
    const third = await openStore(dir, { now: () => NOW, indexKeys: second.indexKeys });
    try {
      expect(second.parsed).toEqual([]);
      expect(Object.fromEntries(third.attemptIndex.entries())).toEqual({ 'a/1': recent.id, 'b/1': updated.id, 'b/2': updated.id });
    } finally {
      await third.close();
    }
  });

  it('parses only the hours a grown window adds', async () => {
    const dir = tempDir();
    const store = await openStore(dir, { now: () => NOW, indexWindowMs: DAY });
    const recent = message(NOW - HOUR, ['a/1']);
    const older = message(NOW - 2 * DAY, ['o/1']);
    const oldest = message(NOW - 5 * DAY, ['z/1']);
    // Written without their entries (a window that did not reach them): only parsing finds them.
    for (const m of [older, oldest]) store.messages.put(m);
    send(store, recent);
    await store.commit();
    await store.close();

    const keys = countingKeys();
    const again = await openStore(dir, { now: () => NOW, indexWindowMs: 3 * DAY, indexKeys: keys.indexKeys });
    try {
      expect(keys.parsed).toEqual([older.id]);
      expect(Object.fromEntries(again.attemptIndex.entries())).toEqual({ 'a/1': recent.id, 'o/1': older.id });
    } finally {
      await again.close();
    }
  });

  it('prune drops entries older than the window, and a later grown window parses their hours again', async () => {
    const dir = tempDir();
    let now = NOW;
    const store = await openStore(dir, { now: () => now, indexWindowMs: DAY });
    const a = message(NOW - HOUR, ['a/1']);
    send(store, a);
    await store.commit();
    now = NOW + 2 * DAY;
    // Retention of 30 days keeps the file; only the index forgets it.
    await store.prune(now - 30 * DAY, now);
    expect(await store.attemptIndex.fetch('a/1')).toBeUndefined();
    await store.close();

    const keys = countingKeys();
    const again = await openStore(dir, { now: () => now, indexWindowMs: 3 * DAY, indexKeys: keys.indexKeys });
    try {
      expect(keys.parsed).toEqual([a.id]);
      expect(await again.attemptIndex.fetch('a/1')).toBe(a.id);
    } finally {
      await again.close();
    }
  });

  it('a crash between the message’s line and the journal’s marker loses the line and the entry together', async () => {
    const dir = tempDir();
    const store = await openStore(dir, { now: () => NOW });
    const kept = message(NOW, ['k/1']);
    send(store, kept);
    await store.commit();
    await store.close();

    // What kill -9 between the two writes of the next commit leaves: the message version naming
    // its attempt in the segment and the entry in the journal, but no marker after them.
    const lost = { ...kept, keys: ['k/1', 'k/2'] };
    const segment = readdirSync(join(dir, 'messages'), { recursive: true }).map(String).filter((f) => f.endsWith('.jsonl')).map((f) => join(dir, 'messages', f))[0];
    const segmentSize = statSync(segment).size;
    appendFileSync(segment, `${lost.id}\t${JSON.stringify(lost)}\n`);
    appendFileSync(journals(dir)[0], `${JSON.stringify(['attemptIndex', 'k/2', lost.id])}\n`);
    crashLeftovers(dir);

    const again = await openStore(dir, { now: () => NOW, indexKeys: (m) => (m as Keyed).keys });
    try {
      expect(statSync(segment).size).toBe(segmentSize);
      expect(await again.messages.get(kept.id)).toEqual(kept);
      expect(Object.fromEntries(again.attemptIndex.entries())).toEqual({ 'k/1': kept.id });
    } finally {
      await again.close();
    }
  });

  it('after kill -9 at a random moment, every acknowledged send’s key finds a stored message naming it', async () => {
    const dir = tempDir();
    const script = fileURLToPath(new URL('./fixtures/attempt-writer.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: [string, string][] = [];
    let out = '';
    // Killed somewhere in its 150th to 400th send: mid-append, mid-sync or between the two files.
    const killAt = 150 + Math.floor(Math.random() * 250);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const line of lines) {
        const [word, key, id] = line.split(' ');
        if (word === 'acked') acked.push([key, id]);
      }
      if (acked.length >= killAt) child.kill('SIGKILL');
    });
    await exited;
    expect(acked.length).toBeGreaterThanOrEqual(killAt);
    crashLeftovers(dir);

    const store = await openStore(dir, { indexKeys: (m) => (m as Keyed).keys });
    try {
      for (const [key, id] of acked) {
        expect(await store.attemptIndex.fetch(key)).toBe(id);
        expect(((await store.messages.get(id)) as Keyed | undefined)?.keys).toEqual([key]);
      }
      // And nothing the index holds points at a message that does not name the key.
      for (const [key, id] of store.attemptIndex.entries()) {
        expect(((await store.messages.get(id)) as Keyed | undefined)?.keys).toContain(key);
      }
    } finally {
      await store.close();
    }
  }, 60_000);
});
