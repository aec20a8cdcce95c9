import { appendFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import type { Message } from '../../src/model.js';
import { AppendFile } from '../../src/store/file/append-file.js';
import { forEachVersion } from '../../src/store/file/record-chain.js';
import { ChangeWriter } from '../../src/store/file/record-changes.js';
import { changeLine } from '../../src/store/file/record-line.js';
import { Segment } from '../../src/store/file/segment.js';
import { MESSAGE_CHANGES } from '../../src/store/message-changes.js';
import { crashLeftovers, mountTmpfs, type Tmpfs } from './helpers.js';
import { AT, DAY, asStored, hourFile, iso, newId, open, putCommitted, tempDirs } from './change-fixtures.js';

const tempDir = tempDirs('sb-changes-');
const linesOf = (dir: string, at = AT) => readFileSync(hourFile(dir, at), 'utf8').split('\n').filter(Boolean);
const isChange = (line: string) => line[27] === '@';

function message(at = AT, text = 'hello'): Message {
  const created = iso(at);
  return {
    id: newId(at), route: 'r', to: { sms: '+15550001' }, content: { text }, tags: { team: 'a' },
    plan: { mode: 'fallback', steps: [{ channel: 'sms', providers: ['p'], within: '30s', until: 'delivered' }] } as unknown as Message['plan'],
    status: 'accepted', steps: [{ state: 'pending', providerIndex: 0, retries: 0 }], attempts: [],
    history: [{ at: created, event: 'accepted', status: 'accepted' }], createdAt: created, updatedAt: created,
  };
}

/** One turn of the engine: an attempt added, a step moved on, history pushed, times changed. */
function advance(m: Message, n: number): void {
  const at = iso(AT + n * 1000);
  m.status = 'routing';
  m.steps[0].state = 'active';
  m.steps[0].retries = n;
  m.attempts.push({ id: `a${n}`, step: 0, channel: 'sms', provider: 'p', to: '+15550001', status: 'sent', providerMessageId: `${m.id}-${n}`, createdAt: at } as Message['attempts'][number]);
  m.history.push({ at, event: 'sent', attempt: `a${n}` });
  m.updatedAt = at;
}

/** A store in a fresh folder holding one message's first version. */
async function firstVersion() {
  const dir = tempDir();
  const store = await open(dir);
  const m = message();
  await putCommitted(store, m);
  return { dir, store, m };
}

describe('messages stored as change records', () => {
  it('writes later versions as small changes that fold back to the message, before and after a restart', async () => {
    const dir = tempDir();
    const store = await open(dir);
    const m = message(AT, 'x'.repeat(2000));
    store.messages.put(m);
    await store.commit();
    const versions = [asStored(m)];
    for (let n = 1; n <= 4; n += 1) {
      advance(m, n);
      if (n === 2) m.completedAt = iso(AT + 2000);
      // A key the engine drops again: the fold must drop it too.
      if (n === 3) delete m.completedAt;
      store.messages.put(m);
      await store.commit();
      versions.push(asStored(m));
      expect(await store.messages.get(m.id)).toEqual(versions[n]);
    }
    const lines = linesOf(dir);
    expect(lines.map(isChange)).toEqual([false, true, true, true, true]);
    // The 2,000-character text and the first history entries are written once.
    for (const line of lines.slice(1)) expect(line.length).toBeLessThan(lines[0].length / 2);
    await store.close();

    const again = await open(dir);
    try {
      const read = await again.messages.get(m.id);
      expect(read).toEqual(versions[4]);
      expect(read).not.toHaveProperty('completedAt');
    } finally {
      await again.close();
    }
  });

  it('names the right offsets after lines of multi-byte text written in one commit, and reads them back after a restart', async () => {
    const dir = tempDir();
    const store = await open(dir);
    // Two, three and four UTF-8 bytes per character: offsets count bytes, not characters.
    const texts = ['é'.repeat(300), '€ ✓ '.repeat(100), '😀'.repeat(150), 'plain'];
    const ms = texts.map((t, i) => message(AT + i, t));
    for (const m of ms) store.messages.put(m);
    await store.commit();
    for (const [n, m] of ms.entries()) {
      advance(m, n + 1);
      store.messages.put(m);
    }
    await store.commit();
    expect(linesOf(dir).map(isChange)).toEqual([false, false, false, false, true, true, true, true]);
    await store.close();

    const again = await open(dir);
    try {
      for (const m of ms) expect(await again.messages.get(m.id)).toEqual(asStored(m));
    } finally {
      await again.close();
    }
  });

  it('folds for list, and for the attempt index rebuilt from the hour’s lines', async () => {
    const dir = tempDir();
    const now = AT + 2 * DAY;
    const attemptKeys = (m: Message) => m.attempts.map((a) => `p/${a.providerMessageId}`);
    const store = await open(dir, { now: () => now, indexWindowMs: DAY, indexKeys: attemptKeys });
    const ms = [message(AT), message(AT + 1), message(AT + 2)];
    for (const m of ms) store.messages.put(m);
    await store.commit();
    for (let n = 1; n <= 3; n += 1) {
      for (const m of ms.slice(n - 1)) {
        advance(m, n);
        store.messages.put(m);
      }
      await store.commit();
    }
    const finals = ms.map(asStored);
    await store.close();

    const seen: Message[] = [];
    const again = await open(dir, { now: () => now, indexWindowMs: 3 * DAY, indexKeys: (m) => (seen.push(m), attemptKeys(m)) });
    try {
      // Every line was read as the version it stands for: the last of each is the message as put.
      for (const f of finals) expect(seen.filter((m) => m.id === f.id).at(-1)).toEqual(f);
      // Message k got attempts 1..k+1, each only in a change line.
      const expected = Object.fromEntries(ms.flatMap((m, k) => [1, 2, 3].slice(0, k + 1).map((n) => [`p/${m.id}-${n}`, m.id])));
      expect(Object.fromEntries(again.attemptIndex.entries())).toEqual(expected);
      const page = await again.messages.list({ limit: 10 });
      expect(page.items).toEqual([...finals].reverse());
    } finally {
      await again.close();
    }
  });

  it('after a discarded change, the next put is a change against what is on disk', async () => {
    const { dir, store, m } = await firstVersion();
    const stored = asStored(m);
    advance(m, 1);
    store.messages.put(m);
    store.messages.discard(m.id);
    const back = (await store.messages.get(m.id))!;
    expect(back).toEqual(stored);
    advance(back, 2);
    store.messages.put(back);
    await store.commit();
    await store.close();

    const lines = linesOf(dir);
    expect(lines).toHaveLength(2);
    expect(lines[1].startsWith(`${m.id}\t@0\t`)).toBe(true);
    const again = await open(dir);
    try {
      const read = await again.messages.get(m.id);
      expect(read).toEqual(asStored(back));
      expect(read?.attempts.map((a) => a.id)).toEqual(['a2']);
    } finally {
      await again.close();
    }
  });

  it('cuts a torn change line and one no commit marker names at open; the chain reads on', async () => {
    const { dir, store, m } = await firstVersion();
    advance(m, 1);
    store.messages.put(m);
    await store.commit();
    const committed = asStored(m);
    await store.close();
    const size = readFileSync(hourFile(dir)).length;
    const [, change] = linesOf(dir);
    // A whole change line the commit never marked, then half of another.
    appendFileSync(hourFile(dir), `${change.replace('"routing"', '"failed"')}\n${change.slice(0, 60)}`);
    crashLeftovers(dir);

    const again = await open(dir);
    try {
      expect(readFileSync(hourFile(dir)).length).toBe(size);
      expect(await again.messages.get(m.id)).toEqual(committed);
      const read = (await again.messages.get(m.id))!;
      advance(read, 2);
      again.messages.put(read);
      await again.commit();
      expect(linesOf(dir).map(isChange)).toEqual([false, true, true]);
    } finally {
      await again.close();
    }
  });

  it('reads hours written before change records, and writes changes into them', async () => {
    const dir = tempDir();
    const a = message(AT);
    const b = message(AT + 1);
    const olderA = asStored(a);
    advance(a, 1);
    // As an older version wrote them: every version whole, the newest last, named by the snapshot's marker.
    const text = [olderA, b, a].map((r) => `${r.id}\t${JSON.stringify(r)}\n`).join('');
    mkdirSync(join(dir, 'messages', iso(AT).slice(0, 10)), { recursive: true });
    writeFileSync(hourFile(dir), text);
    const segmentEnds = { [`messages/${iso(AT).slice(0, 10)}/${iso(AT).slice(11, 13)}`]: Buffer.byteLength(text) };
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ generation: 0, collections: {}, segmentEnds }));

    const store = await open(dir);
    const read = (await store.messages.get(a.id))!;
    expect(read).toEqual(asStored(a));
    expect(await store.messages.get(b.id)).toEqual(asStored(b));
    advance(read, 2);
    store.messages.put(read);
    await store.commit();
    await store.close();

    expect(linesOf(dir).map(isChange)).toEqual([false, false, false, true]);
    const again = await open(dir);
    try {
      expect(await again.messages.get(a.id)).toEqual(asStored(read));
      expect((await again.messages.list({ limit: 5 })).items).toEqual([asStored(b), asStored(read)]);
    } finally {
      await again.close();
    }
  });

  it('keeps a message whose history grows by many entries, writing it whole again past a few changes', async () => {
    const { dir, store, m } = await firstVersion();
    for (let n = 1; n <= 12; n += 1) {
      for (let k = 0; k < 50; k += 1) m.history.push({ at: iso(AT + n), event: 'note', cause: `round ${n} entry ${k}` });
      advance(m, n);
      store.messages.put(m);
      await store.commit();
    }
    await store.close();

    const lines = linesOf(dir);
    // Eight changes at most in a row, then the whole message again.
    expect(lines.map(isChange)).toEqual([false, ...Array(8).fill(true), false, true, true, true]);
    // A change holds only the entries added since the version it follows.
    expect(lines[5].match(/round \d+ entry/g)?.length).toBe(50);
    const again = await open(dir);
    try {
      const read = await again.messages.get(m.id);
      expect(read).toEqual(asStored(m));
      expect(read?.history).toHaveLength(1 + 12 * 51);
    } finally {
      await again.close();
    }
  });

  it('reads a message back from disk through its chain once the cache let it go, and changes it on', async () => {
    const dir = tempDir();
    const line = Buffer.byteLength(JSON.stringify(message())) + 30;
    const store = await open(dir, { cacheBytes: 3 * line });
    const m = message();
    store.messages.put(m);
    await store.commit();
    for (let n = 1; n <= 3; n += 1) {
      advance(m, n);
      store.messages.put(m);
      await store.commit();
    }
    // Other messages push it out of the cache.
    for (let i = 1; i <= 10; i += 1) store.messages.put(message(AT + i));
    await store.commit();
    const read = (await store.messages.get(m.id))!;
    expect(read).not.toBe(m);
    expect(read).toEqual(asStored(m));
    const before = linesOf(dir).length;
    advance(read, 4);
    store.messages.put(read);
    await store.commit();
    await store.close();

    const lines = linesOf(dir);
    expect(lines).toHaveLength(before + 1);
    expect(isChange(lines.at(-1)!)).toBe(true);
    const again = await open(dir);
    try {
      expect(await again.messages.get(m.id)).toEqual(asStored(read));
    } finally {
      await again.close();
    }
  });

  it('folds an open message whose parsed copy the cache let go from the lines it kept, reading no file, and changes it on', async () => {
    const dir = tempDir();
    const line = Buffer.byteLength(JSON.stringify(message())) + 30;
    // Open: not yet delivered. The parsed copies have room for a few open messages and one other.
    const store = await open(dir, { cacheBytes: line, openCacheBytes: 3 * line, isOpen: (r) => r.status !== 'delivered' });
    const m = message();
    const done = message(AT + 1);
    for (const r of [m, done]) store.messages.put(r);
    await store.commit();
    for (let n = 1; n <= 3; n += 1) {
      advance(m, n);
      done.status = 'delivered';
      for (const r of [m, done]) store.messages.put(r);
      await store.commit();
    }
    for (let i = 2; i <= 10; i += 1) store.messages.put(message(AT + i));
    await store.commit();
    const reads = vi.spyOn(Segment.prototype, 'readLine');
    try {
      const read = (await store.messages.get(m.id))!;
      expect(read).not.toBe(m);
      expect(read).toEqual(asStored(m));
      expect(reads).not.toHaveBeenCalled();
      // A message that is not open keeps no lines: it is read back from its file.
      expect(await store.messages.get(done.id)).toEqual(asStored(done));
      expect(reads).toHaveBeenCalled();
      const before = linesOf(dir).length;
      advance(read, 4);
      store.messages.put(read);
      await store.commit();
      const lines = linesOf(dir);
      expect(lines).toHaveLength(before + 1);
      expect(isChange(lines.at(-1)!)).toBe(true);
    } finally {
      reads.mockRestore();
      await store.close();
    }
    const again = await open(dir);
    try {
      const back = (await again.messages.get(m.id))!;
      expect(back.history).toHaveLength(5);
      expect(back.attempts.map((a) => a.id)).toEqual(['a1', 'a2', 'a3', 'a4']);
    } finally {
      await again.close();
    }
  });

  it('folds a change whose base the stream no longer holds by reading the base back', async () => {
    const dir = tempDir();
    const first = message();
    const writer = new ChangeWriter(MESSAGE_CHANGES);
    const later = asStored(first);
    const stored = { ...writer.shape(later), file: {}, offset: 0, depth: 0, rootBytes: 0 };
    advance(later, 1);
    const { change } = writer.diff(later, stored);
    const others = Array.from({ length: 20 }, (_, i) => message(AT + 1 + i));
    const head = [first, ...others].map((r) => `${r.id}\t${JSON.stringify(r)}\n`).join('');
    const path = join(dir, 'hour.jsonl');
    writeFileSync(path, head + changeLine(first.id, 0, change!).toString());
    const seg = new Segment('2026-11-23/08', await AppendFile.open(path));
    const seen: Message[] = [];
    try {
      // Room for two versions: the first message's is long gone when its change comes.
      await forEachVersion<Message>(seg, (r) => void seen.push(r), 2 * Buffer.byteLength(head) / 21);
    } finally {
      await seg.file.close();
    }
    expect(seen).toHaveLength(22);
    expect(seen[21]).toEqual(asStored(later));
    expect(seen.slice(0, 21)).toEqual([first, ...others].map(asStored));
  });

  it('writes the whole message when a value it was promised to keep is replaced', async () => {
    const { dir, store, m } = await firstVersion();
    m.tags = { team: 'b' };
    advance(m, 1);
    store.messages.put(m);
    await store.commit();
    // The last entry replaced by a copy: not the history the stored version ended with.
    m.history = [...m.history.slice(0, -1), { ...m.history.at(-1)!, cause: 'rewritten' }];
    store.messages.put(m);
    await store.commit();
    await store.close();

    expect(linesOf(dir).map(isChange)).toEqual([false, false, false]);
    const again = await open(dir);
    try {
      expect(await again.messages.get(m.id)).toEqual(asStored(m));
    } finally {
      await again.close();
    }
  });

  it('writes a put made while the previous version is being written against the version before it', async () => {
    const { dir, store, m } = await firstVersion();
    // The commit's first write is held until the next put is made: that flush has taken this
    // version and is still writing it, so no change may name it yet (waiting a few turns instead
    // raced a fast disk).
    const stage = AppendFile.prototype.stage;
    let entered!: () => void;
    const writingNow = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const spy = vi.spyOn(AppendFile.prototype, 'stage').mockImplementationOnce(async function (this: AppendFile, data: Buffer) {
      entered();
      await held;
      return stage.call(this, data);
    });
    try {
      advance(m, 1);
      store.messages.put(m);
      const writing = store.commit();
      await writingNow;
      advance(m, 2);
      store.messages.put(m);
      release();
      await writing;
      await store.commit();
    } finally {
      spy.mockRestore();
    }
    await store.close();

    const lines = linesOf(dir);
    expect(lines).toHaveLength(3);
    expect(lines.slice(1).map((l) => l.split('\t')[1])).toEqual(['@0', '@0']);
    const again = await open(dir);
    try {
      expect(await again.messages.get(m.id)).toEqual(asStored(m));
    } finally {
      await again.close();
    }
  });
});

describe('change records on a full disk', () => {
  let fs: Tmpfs;
  beforeAll(() => {
    fs = mountTmpfs('1m');
  });
  afterAll(() => fs.unmount());

  it('a refused change leaves the stored version the base of the next put', async () => {
    const dir = join(fs.dir, 'refused-change');
    const store = await open(dir);
    const m = message();
    store.messages.put(m);
    await store.commit();
    const goodSize = statSync(hourFile(dir)).size;
    advance(m, 1);
    store.messages.put(m);
    const filler = fs.fill(0);
    // The change fits the file's last page; the 64 kB journal line does not, so the commit is refused whole.
    store.timers.set('big', { id: 'big', kind: 'k', due: AT, payload: { blob: 'b'.repeat(64 * 1024) } });
    await expect(store.commit()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(statSync(hourFile(dir)).size).toBe(goodSize);
    store.timers.delete('big');
    advance(m, 2);
    store.messages.put(m);
    rmSync(filler);
    await store.commit();
    await store.close();

    const lines = linesOf(dir);
    expect(lines).toHaveLength(2);
    expect(lines[1].split('\t')[1]).toBe('@0');
    const again = await open(dir);
    try {
      expect(await again.messages.get(m.id)).toEqual(asStored(m));
    } finally {
      await again.close();
    }
  });
});
