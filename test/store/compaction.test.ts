import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/model.js';
import { crashLeftovers } from './helpers.js';
import { AT, DAY, HOUR, asStored, hourFile, iso, newId, open, tempDirs, type ChangeStore } from './change-fixtures.js';

// Retention far back: prune deletes nothing, it only compacts.
const CUTOFF = AT - 30 * DAY;
const tempDir = tempDirs('sb-compaction-');
const idLines = (dir: string) => readFileSync(hourFile(dir), 'utf8').split('\n').filter((l) => l[26] === '\t');

function message(at: number): Message {
  const created = iso(at);
  return {
    id: newId(at), route: 'r', to: { sms: '+15550001' }, content: { text: 'x'.repeat(500) },
    plan: { mode: 'fallback', steps: [] } as unknown as Message['plan'],
    status: 'accepted', steps: [{ state: 'pending', providerIndex: 0, retries: 0 }], attempts: [],
    history: [{ at: created, event: 'accepted', status: 'accepted' }], createdAt: created, updatedAt: created,
  };
}

function advance(m: Message, n: number): void {
  m.status = n >= 3 ? 'delivered' : 'routing';
  m.attempts.push({ id: `${m.id}-${n}`, step: 0, channel: 'sms', provider: 'p', to: '+1', status: 'sent', providerMessageId: `${m.id}-${n}`, createdAt: iso(AT) } as Message['attempts'][number]);
  m.history.push({ at: iso(AT + n), event: 'sent', cause: `attempt ${n}`.repeat(20) });
}

/** Messages of one hour, each stored whole and then changed in three more commits. */
async function writeHour(store: ChangeStore, count: number): Promise<Message[]> {
  const ms = Array.from({ length: count }, (_, i) => message(AT + i));
  for (const m of ms) store.messages.put(m);
  await store.commit();
  for (let n = 1; n <= 3; n += 1) {
    for (const m of ms) {
      advance(m, n);
      store.messages.put(m);
    }
    await store.commit();
  }
  return ms;
}

describe('compacting a closed hour', () => {
  it('rewrites it as each message’s newest version, whole, in less disk, and every read sees the same messages', async () => {
    const dir = tempDir();
    const store = await open(dir);
    const ms = await writeHour(store, 40);
    const size = statSync(hourFile(dir)).size;
    expect(idLines(dir)).toHaveLength(160);

    await store.prune(CUTOFF, AT + 3 * HOUR);
    const lines = idLines(dir);
    expect(readFileSync(hourFile(dir), 'utf8').startsWith('#compacted\n')).toBe(true);
    expect(lines).toHaveLength(40);
    expect(lines.every((l) => l[27] === '{')).toBe(true);
    // The same length, so the commit markers stay true; the rest is a hole that takes no disk.
    const after = statSync(hourFile(dir));
    expect(after.size).toBe(size);
    expect(after.blocks * 512).toBeLessThan(size * 0.8);
    for (const m of ms) expect(await store.messages.get(m.id)).toEqual(asStored(m));
    expect((await store.messages.list({ limit: 100 })).items).toEqual(ms.map(asStored).reverse());
    await store.close();

    const seen: Message[] = [];
    const again = await open(dir, { now: () => AT + 3 * HOUR, indexWindowMs: 2 * DAY, indexKeys: (m) => (seen.push(m), []) });
    try {
      // The index rebuild streamed the compacted hour: one whole line per message, head and hole passed over.
      expect(seen).toEqual(ms.map(asStored));
      for (const m of ms) expect(await again.messages.get(m.id)).toEqual(asStored(m));
    } finally {
      await again.close();
    }
  });

  it('takes later puts whole at first, then as changes against the new file, and an uncommitted append is still cut at open', async () => {
    const dir = tempDir();
    const store = await open(dir);
    const [m] = await writeHour(store, 3);
    await store.prune(CUTOFF, AT + 3 * HOUR);
    const size = statSync(hourFile(dir)).size;
    // The cached version named the old file's offsets: this one is written whole.
    advance(m, 4);
    store.messages.put(m);
    await store.commit();
    advance(m, 5);
    store.messages.put(m);
    await store.commit();
    await store.close();

    const tail = idLines(dir).slice(-2);
    expect(tail.map((l) => l[27])).toEqual(['{', '@']);
    expect(Number(tail[1].split('\t')[1].slice(1))).toBeGreaterThanOrEqual(size);
    const committed = statSync(hourFile(dir)).size;
    appendFileSync(hourFile(dir), `${tail[1].replace('"delivered"', '"failed"')}\n`);
    crashLeftovers(dir);

    const again = await open(dir);
    try {
      expect(statSync(hourFile(dir)).size).toBe(committed);
      expect(await again.messages.get(m.id)).toEqual(asStored(m));
    } finally {
      await again.close();
    }
  });

  it('leaves the hour still open, and one with unwritten puts, for a later prune', async () => {
    const dir = tempDir();
    const store = await open(dir);
    const [m] = await writeHour(store, 3);
    const compacted = () => readFileSync(hourFile(dir), 'utf8').startsWith('#compacted\n');
    await store.prune(CUTOFF, AT + 30 * 60_000);
    expect(compacted()).toBe(false);
    advance(m, 4);
    store.messages.put(m);
    // Prune commits the put at its end, after compaction passed the hour over.
    await store.prune(CUTOFF, AT + 3 * HOUR);
    expect(compacted()).toBe(false);
    await store.prune(CUTOFF, AT + 3 * HOUR);
    expect(compacted()).toBe(true);
    expect(await store.messages.get(m.id)).toEqual(asStored(m));
    await store.close();
  });

  it('holds a commit for the hour until its compaction is done, and writes the put whole', async () => {
    const dir = tempDir();
    const store = await open(dir);
    const ms = await writeHour(store, 1000);
    const pruning = store.prune(CUTOFF, AT + 3 * HOUR);
    let done = false;
    void pruning.then(() => (done = true));
    while (!done && !existsSync(`${hourFile(dir)}.compacting`)) await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    const m = ms[500];
    advance(m, 4);
    store.messages.put(m);
    await store.commit();
    // The put's line went into the compacted file, after its end.
    expect(readFileSync(hourFile(dir), 'utf8').startsWith('#compacted\n')).toBe(true);
    await pruning;
    await store.close();

    const last = idLines(dir).at(-1)!;
    expect(last.startsWith(`${m.id}\t{`)).toBe(true);
    expect(idLines(dir)).toHaveLength(1001);
    const again = await open(dir);
    try {
      expect(await again.messages.get(m.id)).toEqual(asStored(m));
      expect(await again.messages.get(ms[0].id)).toEqual(asStored(ms[0]));
    } finally {
      await again.close();
    }
  });

  it('keeps a commit whose marker named the hour, when the hour is compacted right after it and the process dies', async () => {
    const dir = tempDir();
    const store = await open(dir);
    const [m] = await writeHour(store, 3);
    // The last commit before the prune appends to the hour (its marker names those bytes' CRC)
    // and changes the hot state, which only that marker makes count.
    advance(m, 4);
    store.messages.put(m);
    store.timers.set('t-last', { id: 't-last', kind: 'k', due: AT, payload: {} });
    await store.commit();
    await store.prune(CUTOFF, AT + 3 * HOUR);
    expect(readFileSync(hourFile(dir), 'utf8').startsWith('#compacted\n')).toBe(true);
    crashLeftovers(dir);

    const again = await open(dir);
    try {
      expect(await again.messages.get(m.id)).toEqual(asStored(m));
      expect(again.timers.get('t-last')).toMatchObject({ id: 't-last', due: AT });
    } finally {
      await again.close();
    }
  });
});
