/** state.json with one entry a line: read back as written, older snapshots still read, a cut one refused. */
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { TimerRecord } from '../../src/model.js';
import { HotState } from '../../src/store/file/hot-state.js';
import { JOURNAL_HEADER, journalPath } from '../../src/store/file/journal.js';
import { entryLine } from '../../src/store/file/snapshot-lines.js';
import { PackedTimer, revivePackedTimer, reviveTimer, timerRecord } from '../../src/store/timer-record.js';
import { crashLeftovers, openStore } from './helpers.js';

const NAMES = ['timers', 'attemptIndex', 'other', 'empty'];
const hooks = { onWrite: () => {}, touch: () => {} };
const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
const contents = (hot: HotState) => Object.fromEntries(NAMES.map((n) => [n, [...hot.maps[n]].map(([k, v]) => [k, plain(v)])]));

/** Entries of every shape: the ones the reader takes apart itself, and the ones it leaves to JSON.parse. */
function entries(): Record<string, [string, unknown][]> {
  const timer = (id: string, kind: string, payload: TimerRecord['payload']) => [id, timerRecord(id, kind, 1_800_000_000_000, payload)] as [string, unknown];
  return {
    timers: [
      timer('01KA.0.timeout', 'step-timeout', { message: '01KA', step: 0 }),
      timer('01KB.12.retry', 'consent-check', { message: '01KB', step: 12 }),
      timer('01KC.0.send', 'step-send', { message: '01KC', step: 0, provider: 'twilio-us' }),
      timer('consent-release:+15550100|"é"\\\n', 'consent-release', { pair: 'x' }),
      timer('01KD.007.timeout', 'step-timeout', { message: '01KD', step: 7 }),
      timer('01KE.0.timeout', 'step-"odd"', { message: '01KE', step: 0 }),
      ['weird', { kind: 'k', due: -1 }],
    ],
    attemptIndex: [
      ['mock-sms/p1', '01KA'],
      ['mock-sms/ü "quoted"', '01KB'],
      ['mock-sms/p3', 'line\nbreak'],
      ['', ''],
    ],
    other: [
      ['n', 5],
      ['null', null],
      ['obj', { a: [1, { b: 'c' }], d: 'e\u2028f' }],
      ['"k"', 'v'],
      ['{"kind":"x","due":1}', { kind: 'x', due: 1 }],
    ],
    empty: [],
  };
}

async function folded(dir: string): Promise<HotState> {
  const hot = await HotState.open(dir, NAMES, hooks);
  for (const [name, list] of Object.entries(entries())) for (const [k, v] of list) hot.set(name, k, v);
  await (await hot.flush()).apply();
  // Folds into state.json now, as a start does with a folder written before commit markers.
  await hot.adopt([['messages/2026-11-28/20', 81234]]);
  return hot;
}

describe('state.json one entry a line', () => {
  it('reads back every entry as it was, and is still one JSON document an older version reads whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-snapshot-'));
    const hot = await folded(dir);
    const before = contents(hot);
    await hot.close();

    const text = readFileSync(join(dir, 'state.json'), 'utf8');
    const doc = JSON.parse(text) as { generation: number; segmentEnds: Record<string, number>; collections: Record<string, Record<string, unknown>> };
    expect(doc.generation).toBe(1);
    expect(doc.segmentEnds).toEqual({ 'messages/2026-11-28/20': 81234 });
    // What an older version's reader does with it: the same entries, step timers packed.
    expect(Object.keys(doc.collections)).toEqual(NAMES);
    expect(doc.collections.timers['01KA.0.timeout']).toEqual({ kind: 'step-timeout', due: 1_800_000_000_000 });
    expect(doc.collections.attemptIndex).toEqual(Object.fromEntries(entries().attemptIndex));
    // One line per entry, plus the header, the opening and closing line of each collection, and the end.
    const count = Object.values(entries()).reduce((n, list) => n + list.length, 0);
    expect(text.trimEnd().split('\n')).toHaveLength(1 + 2 * NAMES.length + count + 1);

    const again = await HotState.open(dir, NAMES, hooks);
    expect(contents(again)).toEqual(before);
    expect(again.segmentEnds.get('messages/2026-11-28/20')).toBe(81234);
    // A step timer read back keeps its id alone, as a new one does.
    expect(Object.keys(again.maps.timers.get('01KA.0.timeout') as object)).toEqual(['id', 'sinceWindow']);
    expect((again.maps.timers.get('01KA.0.timeout') as TimerRecord).payload).toEqual({ message: '01KA', step: 0 });
    await again.close();
  });

  it('reads a state.json written before it, one JSON document on one line (an upgrade)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-snapshot-'));
    const collections = Object.fromEntries(Object.entries(entries()).map(([n, list]) => [n, Object.fromEntries(list.map(([k, v]) => [k, plain(v)]))]));
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ generation: 4, collections, segmentEnds: { 'inbound/2026-11-28/20': 9 } }));
    const hot = await HotState.open(dir, NAMES, hooks);
    expect(hot.marked).toBe(true);
    expect(hot.segmentEnds.get('inbound/2026-11-28/20')).toBe(9);
    for (const [name, list] of Object.entries(entries())) expect([...hot.maps[name]].map(([k, v]) => [k, plain(v)])).toEqual(list.map(([k, v]) => [k, plain(v)]));
    expect((hot.maps.timers.get('01KA.0.timeout') as TimerRecord).kind).toBe('step-timeout');
    await hot.close();
  });

  it('refuses a state.json cut short rather than reading part of it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-snapshot-'));
    await (await folded(dir)).close();
    const file = join(dir, 'state.json');
    const text = readFileSync(file, 'utf8');
    // At the end of a line in the middle of the timers, and just before the document's last line.
    for (const at of [text.indexOf('\n', text.indexOf('01KB')) + 1, text.trimEnd().lastIndexOf('\n') + 1]) {
      writeFileSync(file, text);
      truncateSync(file, at);
      await expect(HotState.open(dir, NAMES, hooks)).rejects.toThrow(SyntaxError);
    }
  });

  it('after a crash in the middle of a fold, the previous snapshot and the journals give back every timer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-snapshot-'));
    const store = await openStore(dir);
    const timer = (i: number) => timerRecord(`01KF${i}.0.timeout`, 'step-timeout', 1_800_000_000_000 + i, { message: `01KF${i}`, step: 0 });
    for (let i = 0; i < 50; i += 1) store.timers.set(timer(i).id, timer(i));
    // Past 8 MB of journal the state is folded into state.json (generation 1).
    const big = 'x'.repeat(1000);
    for (let i = 0; i < 9000; i += 1) store.idempotency.set('i', { key: 'i', messageId: big, bodyHash: String(i), expiresAt: 1 });
    await store.commit();
    for (let i = 50; i < 80; i += 1) store.timers.set(timer(i).id, timer(i));
    store.timers.delete(timer(0).id);
    await store.commit();
    // The fold writes its snapshot in the background.
    const snapshot = await vi.waitFor(() => {
      const text = readFileSync(join(dir, 'state.json'), 'utf8');
      expect(JSON.parse(text).generation).toBe(1);
      return text;
    });

    // The next fold had begun generation 2 and written half its snapshot when the process died.
    writeFileSync(journalPath(dir, 2), `${JOURNAL_HEADER}\n`);
    writeFileSync(join(dir, `.state.json.${process.pid + 1}.tmp`), snapshot.slice(0, snapshot.length / 2));
    crashLeftovers(dir);

    const again = await openStore(dir);
    expect([...again.timers.entries()].map(([k]) => k).sort()).toEqual(Array.from({ length: 79 }, (_, i) => timer(i + 1).id).sort());
    expect(again.timers.get(timer(79).id)?.due).toBe(1_800_000_000_079);
    expect(again.idempotency.get('i')?.bodyHash).toBe('8999');
    await again.close();
    await store.close().catch(() => undefined);
  });
});

describe('entryLine', () => {
  it('spells keys, strings and packed timers as JSON.stringify would, escapes and lone surrogates included', () => {
    const strings = ['01KA.0.timeout', 'mock-sms/p1', '', 'é ü 漢字 😀', 'a"b', 'back\\slash', 'tab\tnl\n', '\u0000\u001f', 'line\u2028sep', 'lone \ud800 high', 'lone \udc00 low'];
    for (const s of strings) {
      expect(entryLine(s, s, true)).toBe(`${JSON.stringify(s)}:${JSON.stringify(s)}\n`);
      expect(entryLine('k', new PackedTimer(s, 1_800_000_000_000), false)).toBe(`,"k":${JSON.stringify({ kind: s, due: 1_800_000_000_000 })}\n`);
    }
    // A due that is not a safe integer goes through JSON.stringify, as any other value.
    expect(entryLine('k', new PackedTimer('step-timeout', Number.NaN), true)).toBe('"k":{"kind":"step-timeout","due":null}\n');
    expect(entryLine('k', { kind: 'x', due: 1 }, true)).toBe('"k":{"kind":"x","due":1}\n');
  });
});

describe('revivePackedTimer', () => {
  it('keeps what reviveTimer keeps for the same {kind, due}, whatever the id looks like', () => {
    const ids = ['m.0.timeout', 'm.12.retry', 'm.00.timeout', 'm.01.x', 'm..x', '.0.x', 'm.0.', 'm.0', 'm.0.a.b', 'm.1e3.x', 'm. 1.x', 'm.-1.x', 'plain', 'm.123456789012345.x', 'm.1234567890123456.x', 'm.99999999999999999.x', 'ü.3.é'];
    for (const id of ids) {
      for (const kind of ['step-timeout', 'step-x', 'other']) {
        const a = revivePackedTimer(id, kind, 42);
        const b = reviveTimer(id, { kind, due: 42 });
        expect(plain(a), `${id} ${kind}`).toEqual(plain(b));
        expect(Object.keys(a as object), `${id} ${kind}`).toEqual(Object.keys(b as object));
        expect((a as TimerRecord).kind).toBe((b as TimerRecord).kind);
      }
    }
  });
});
