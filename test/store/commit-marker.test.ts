import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createIdFactory } from '../../src/ids.js';
import type { InboundRecord } from '../../src/model.js';
import { crashLeftovers, openStore } from './helpers.js';

const nextId = createIdFactory();

function record(text: string, hour?: number): InboundRecord {
  const at = hour ?? Date.now();
  // A factory of its own for a given hour: ids of one factory never go back in time.
  const id = hour === undefined ? nextId(at) : createIdFactory()(at);
  return { id, instance: 'x', channel: 'sms', from: '+1', to: '+2', text, providerMessageId: text, receivedAt: new Date(at).toISOString() };
}

const segmentFiles = (dir: string) => readdirSync(join(dir, 'inbound'), { recursive: true }).map(String).filter((f) => f.endsWith('.jsonl')).map((f) => join(dir, 'inbound', f));

/** A store holding one committed record and two timers, `t-kept` and `t-doomed`; its files' sizes after that commit. */
async function firstCommit(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const store = await openStore(dir);
  const kept = record('committed');
  store.inbound.put(kept);
  store.timers.set('t-kept', { id: 't-kept', kind: 'k', due: 1, payload: {} });
  store.timers.set('t-doomed', { id: 't-doomed', kind: 'k', due: 1, payload: {} });
  await store.commit();
  const [segment] = segmentFiles(dir);
  const journal = join(dir, 'state.journal.0');
  return { dir, store, kept, segment, journal, segmentSize: statSync(segment).size, journalSize: statSync(journal).size };
}

/**
 * After a crash in the second commit (it stored `lost`, added `t-new` and removed `t-doomed`): the
 * store reopens as the first commit left it, both files cut back to it, and goes on from there.
 */
async function expectOnlyTheFirst(t: Awaited<ReturnType<typeof firstCommit>> & { lost: InboundRecord }, reported: string[][]) {
  const torn: string[][] = [];
  const again = await openStore(t.dir, { onTornCommit: (files) => torn.push(files) });
  try {
    // Only a commit whose marker was on disk is reported: one without it never was a commit.
    expect(torn).toEqual(reported);
    expect(await again.inbound.get(t.kept.id)).toEqual(t.kept);
    expect(await again.inbound.get(t.lost.id)).toBeUndefined();
    expect([...again.timers.entries()].map(([k]) => k).sort()).toEqual(['t-doomed', 't-kept']);
    // The uncommitted bytes are gone, so the next commit cannot make them count.
    expect(statSync(t.segment).size).toBe(t.segmentSize);
    expect(statSync(t.journal).size).toBe(t.journalSize);
    again.timers.set('t-after', { id: 't-after', kind: 'k', due: 3, payload: {} });
    await again.commit();
  } finally {
    await again.close();
  }
  const third = await openStore(t.dir);
  try {
    expect([...third.timers.entries()].map(([k]) => k).sort()).toEqual(['t-after', 't-doomed', 't-kept']);
    expect(await third.inbound.get(t.lost.id)).toBeUndefined();
  } finally {
    await third.close();
  }
}

describe('a commit spans several files; the journal marker is its commit point', () => {
  it('a crash after the segments were written but before the marker leaves nothing of that commit', async () => {
    const t = await firstCommit('sb-marker-');
    await t.store.close();
    // What `kill -9` between the two writes of the next commit leaves: its record line in the
    // segment, its journal lines (a new timer, a removed one), but no marker after them.
    const lost = record('never committed');
    appendFileSync(t.segment, `${lost.id}\t${JSON.stringify(lost)}\n`);
    appendFileSync(t.journal, '["timers","t-new",{"id":"t-new","kind":"k","due":2,"payload":{}}]\n["timers","t-doomed"]\n');
    crashLeftovers(t.dir);
    await expectOnlyTheFirst({ ...t, lost }, []);
  });

  it('an hour file created by a commit that never reached its marker is cut whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-marker-'));
    const store = await openStore(dir);
    store.timers.set('t', { id: 't', kind: 'k', due: 1, payload: {} });
    await store.commit();
    await store.close();
    const orphan = record('orphan', Date.parse('2026-11-28T23:30:00Z'));
    const hourDir = join(dir, 'inbound', '2026-11-28');
    const file = join(hourDir, '23.jsonl');
    // As if the commit that created this hour's file died before its marker.
    mkdirSync(hourDir, { recursive: true });
    writeFileSync(file, `${orphan.id}\t${JSON.stringify(orphan)}\n`);
    crashLeftovers(dir);

    const again = await openStore(dir);
    try {
      expect(statSync(file).size).toBe(0);
    } finally {
      await again.close();
    }
  });

  it('a folder written before commit markers replays every line and is converted to a marked journal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-legacy-'));
    const old = record('legacy', Date.parse('2026-11-27T10:30:00Z'));
    const hourDir = join(dir, 'inbound', '2026-11-27');
    mkdirSync(hourDir, { recursive: true });
    writeFileSync(join(hourDir, '10.jsonl'), `${old.id}\t${JSON.stringify(old)}\n`);
    writeFileSync(join(dir, 'state.journal.0'), '["timers","t1",{"id":"t1","kind":"k","due":1,"payload":{}}]\n');

    const store = await openStore(dir);
    try {
      expect([...store.timers.entries()].map(([k]) => k)).toEqual(['t1']);
      expect(await store.inbound.get(old.id)).toEqual(old);
      expect(existsSync(join(dir, 'state.json'))).toBe(true);
      expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).segmentEnds).toEqual({ 'inbound/2026-11-27/10': statSync(join(hourDir, '10.jsonl')).size });
      expect(readFileSync(join(dir, 'state.journal.1'), 'utf8').split('\n')[0]).toBe('["#journal",2]');
    } finally {
      await store.close();
    }
  });
});

describe('the files of a commit are written beside its marker', () => {
  /** Two commits; the second's marker is on disk, and `tear` does to its segment bytes what a crash could. */
  async function secondCommitTorn(tear: (segment: string, start: number, end: number) => void) {
    const t = await firstCommit('sb-beside-');
    const lost = record('torn');
    t.store.inbound.put(lost);
    t.store.timers.set('t-new', { id: 't-new', kind: 'k', due: 2, payload: {} });
    t.store.timers.delete('t-doomed');
    await t.store.commit();
    await t.store.close();
    const hour = `inbound/${t.segment.split('/inbound/')[1].replace('.jsonl', '')}`;
    const marker = readFileSync(t.journal, 'utf8').trim().split('\n').at(-1)!;
    expect(JSON.parse(marker)).toEqual(['#commit', { [hour]: statSync(t.segment).size }, { [hour]: [t.segmentSize, expect.any(Number)] }]);
    tear(t.segment, t.segmentSize, statSync(t.segment).size);
    crashLeftovers(t.dir);
    return { ...t, lost, hour };
  }

  it('a crash that left the last marker on disk but its segment append short leaves nothing of that commit', async () => {
    const t = await secondCommitTorn((segment, start, end) => truncateSync(segment, start + Math.floor((end - start) / 2)));
    await expectOnlyTheFirst(t, [[t.hour]]);
  });

  it('so does one that left the append its full length but not its bytes (blocks never written after a power loss)', async () => {
    const t = await secondCommitTorn((segment, start, end) => {
      const bytes = readFileSync(segment);
      bytes.fill(0, start, end);
      writeFileSync(segment, bytes);
    });
    await expectOnlyTheFirst(t, [[t.hour]]);
  });

  it('a last marker whose appends are all on disk counts', async () => {
    const t = await secondCommitTorn(() => undefined);
    const torn: string[][] = [];
    const again = await openStore(t.dir, { onTornCommit: (files) => torn.push(files) });
    try {
      expect(torn).toEqual([]);
      expect(await again.inbound.get(t.lost.id)).toEqual(t.lost);
      expect([...again.timers.entries()].map(([k]) => k).sort()).toEqual(['t-kept', 't-new']);
    } finally {
      await again.close();
    }
  });
});
