/**
 * Writes store files directly, in the lowdb store's own layout (src/store/file/): messages in
 * hourly append-only segments `messages/YYYY-MM-DD/HH.jsonl`, one `<26-char ULID>\t<JSON>\n` line
 * per stored version (the last line of an id wins), and the hot state as a lowdb snapshot
 * `state.json` = `{"generation": 0, "collections": {...}}` with no journal. Records have the shape
 * the engine writes (src/model.ts); ids are ULIDs of their creation time, so each lands in its hour.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { attemptKeys } from '../src/engine/receipts.js';
import type { Message, TimerRecord } from '../src/model.js';
import { packTimer } from '../src/store/timer-record.js';

const HOUR = 3_600_000;
const pad = (n: number) => String(n).padStart(2, '0');
export const segmentKeyOf = (ms: number) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}/${pad(d.getUTCHours())}`;
};
const iso = (ms: number) => new Date(ms).toISOString();
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/**
 * A ULID of `ms` with its random part from `Math.random`: the `ulid` package draws one
 * `crypto.getRandomValues` per character (≈ 0.1 ms an id on this machine), which made seeding
 * CPU-bound. Bench data needs unique, time-ordered ids, not unpredictable ones.
 */
function fastUlid(ms: number): string {
  let time = '';
  for (let i = 0, t = ms; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32] + time;
  let random = '';
  for (let i = 0; i < 16; i++) random += CROCKFORD[(Math.random() * 32) | 0];
  return time + random;
}
const messageId = fastUlid;
const attemptIdOf = fastUlid;
const providerIdOf = fastUlid;
const phone = (i: number) => `+1555${String(1_000_000 + (i % 9_000_000)).padStart(7, '0')}`;
const TEXTS = ['Your code is 424242. It expires in 10 minutes.', 'Your order #8841 has shipped and arrives Thursday.', 'Reminder: appointment tomorrow at 10:30. Reply C to confirm.'];

/**
 * A message that went out by SMS and was delivered, as the engine leaves it, with the versions the
 * engine appends on the way (measured on a live daemon: routing + attempt `sending` before the
 * send; `queued` after it, appended twice; receipt `sent`; receipt `delivered` and completion).
 */
function deliveredVersions(created: number, i: number): Message[] {
  const id = messageId(created);
  const to = phone(i);
  const t = (ms: number) => iso(created + ms);
  const attemptId = attemptIdOf(created + 6);
  const pmid = `mock-${providerIdOf(created + 40)}`;
  const base = {
    id, route: 'bench',
    plan: { steps: [{ channel: 'sms', providers: ['mock-sms'], until: 'delivered', within: '30s' }], mode: 'fallback', resendUnknown: false } as Message['plan'],
    to: { sms: to, whatsapp: to },
    content: { text: TEXTS[i % TEXTS.length] },
    createdAt: t(0),
  };
  const history: Message['history'] = [
    { at: t(0), event: 'accepted', status: 'accepted' },
    { at: t(6), event: 'routing', status: 'routing', cause: 'fallback route bench' },
    { at: t(6), event: 'step_started', step: 0, cause: 'sms via mock-sms, until delivered within 30s' },
    { at: t(40), event: 'attempt_sent', step: 0, attempt: attemptId, cause: `mock-sms accepted it as ${pmid}` },
    { at: t(1045), event: 'receipt', step: 0, attempt: attemptId, cause: 'sms sent' },
    { at: t(1050), event: 'receipt', step: 0, attempt: attemptId, cause: 'sms delivered' },
    { at: t(1050), event: 'step_succeeded', step: 0, cause: 'delivered reached on sms' },
    { at: t(1050), event: 'completed', status: 'delivered', cause: 'success condition met' },
  ];
  const attempt = (status: Message['attempts'][number]['status'], updated: number, receipts: Message['attempts'][number]['receipts'], sent: boolean) => ({
    id: attemptId, step: 0, channel: 'sms' as const, provider: 'mock-sms', to, status, createdAt: t(6), updatedAt: t(updated), receipts,
    ...(sent ? { providerMessageId: pmid } : {}),
  });
  const routing = (events: number, at: number, a: Message['attempts'][number]): Message => ({
    ...base, status: 'routing',
    steps: [{ state: 'active', providerIndex: 0, retries: 0, startedAt: t(6) }],
    attempts: [a], history: history.slice(0, events), updatedAt: t(at),
  });
  const sentReceipt = { status: 'sent' as const, at: t(1045) };
  const queued = routing(4, 40, attempt('queued', 40, [], true));
  return [
    routing(3, 6, attempt('sending', 6, [], false)),
    queued,
    queued,
    routing(5, 1045, attempt('sent', 1045, [sentReceipt], true)),
    {
      ...base, status: 'delivered',
      steps: [{ state: 'succeeded', providerIndex: 0, retries: 0, startedAt: t(6), endedAt: t(1050) }],
      attempts: [attempt('delivered', 1050, [sentReceipt, { status: 'delivered', at: t(1050) }], true)],
      history, updatedAt: t(1050), completedAt: t(1050),
    },
  ];
}

/** Appends lines to hourly segment files, one open file at a time (records arrive in time order). */
function segmentWriter(dir: string) {
  let current = '';
  let fd = -1;
  let chunks: string[] = [];
  let chunkChars = 0;
  const stats = { bytes: 0, segments: 0, lines: 0 };
  // Where each segment ends (`messages/<day>/<hour>` → bytes), for the snapshot's commit markers.
  const ends: Record<string, number> = {};
  const flush = () => {
    if (fd < 0 || chunks.length === 0) return;
    const buf = Buffer.from(chunks.join(''), 'utf8');
    writeSync(fd, buf);
    stats.bytes += buf.length;
    ends[`messages/${current}`] = (ends[`messages/${current}`] ?? 0) + buf.length;
    chunks = [];
    chunkChars = 0;
  };
  return {
    stats,
    ends,
    append(key: string, record: { id: string }): void {
      if (key !== current) {
        flush();
        if (fd >= 0) closeSync(fd);
        const [day, hour] = key.split('/');
        mkdirSync(join(dir, 'messages', day), { recursive: true });
        fd = openSync(join(dir, 'messages', day, `${hour}.jsonl`), 'a');
        current = key;
        stats.segments += 1;
      }
      const line = `${record.id}\t${JSON.stringify(record)}\n`;
      chunks.push(line);
      chunkChars += line.length;
      stats.lines += 1;
      if (chunkChars > 4_000_000) flush();
    },
    close(): void {
      flush();
      if (fd >= 0) closeSync(fd);
      fd = -1;
    },
  };
}

/**
 * `state.json` as `HotState` folds it: generation 0 (no journal follows), the named collections,
 * and `segmentEnds` naming where every segment ends — the commit markers of a marked store. Without
 * them the store takes the folder for a fresh marked one and cuts every unnamed segment to nothing.
 */
function writeSnapshot(dir: string, collections: Record<string, Record<string, unknown>>, segmentEnds: Record<string, number>): number {
  // Timers in the shape the store's own snapshot gives them (step timers: kind and due alone).
  const timers = Object.fromEntries(Object.entries(collections.timers ?? {}).map(([k, v]) => [k, packTimer(k, v)]));
  const text = JSON.stringify({ generation: 0, collections: { ...collections, ...(collections.timers ? { timers } : {}) }, segmentEnds });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'state.json'), text);
  return Buffer.byteLength(text);
}

/**
 * The receipt index a running daemon keeps in its hot state (src/store/file/attempt-index.ts): an
 * entry per attempt key of every message since `from`, and the mark saying it is complete from
 * there. Without it the first start would parse the window's messages to rebuild it.
 */
function attemptIndexCollections(entries: Record<string, string>, from: number): Record<string, Record<string, unknown>> {
  return { attemptIndex: entries, attemptIndexCoverage: { from } };
}

function indexInto(entries: Record<string, string>, m: Message): void {
  for (const k of attemptKeys(m)) entries[k] = m.id;
}

export interface RetainedSeed {
  bytes: number;
  segments: number;
  lines: number;
  /** Messages written with every version the engine appends (the rest: final version only). */
  fullHistory: number;
}

/**
 * `count` delivered messages spread evenly over the `days` before `now` (the current hour
 * included), written hour by hour. Messages younger than `fullHistoryMs` (the receipt-index
 * window, which the daemon scans at start) get every version a live daemon appends; older ones,
 * which nothing reads at start or accept time, only their final version, to keep seeding short.
 */
export function seedRetained(dir: string, count: number, days: number, now: number, fullHistoryMs: number): RetainedSeed {
  const start = now - days * 24 * HOUR + HOUR; // stay clear of the retention cutoff
  const step = (now - 60_000 - start) / count;
  const w = segmentWriter(dir);
  let fullHistory = 0;
  // The daemon's index reaches back over its window, from the start of the window's first hour.
  const indexFrom = Math.floor((now - fullHistoryMs) / HOUR) * HOUR;
  const index: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const created = Math.floor(start + i * step + Math.random() * step * 0.9);
    const versions = deliveredVersions(created, i);
    const key = segmentKeyOf(created);
    if (created >= now - fullHistoryMs) {
      fullHistory += 1;
      for (const v of versions) w.append(key, v);
    } else w.append(key, versions.at(-1)!);
    if (created >= indexFrom) indexInto(index, versions.at(-1)!);
  }
  w.close();
  writeSnapshot(dir, attemptIndexCollections(index, indexFrom), w.ends);
  return { ...w.stats, fullHistory };
}

export interface PendingSeed {
  /** Message id → when its WhatsApp step's timer is due (ms). */
  due: Map<string, number>;
  bytes: number;
  snapshotBytes: number;
}

/**
 * `count` messages on the fallback route, accepted evenly over `[now - spreadMs, now]`, whose
 * WhatsApp attempt went out and whose `within` timer (step 0) is pending: the state a gateway is in
 * after accepting them, exactly as it finds it again after a restart. Timers go into the
 * `state.json` snapshot (generation 0, no journal), messages into their hour's segment.
 */
export function seedPending(dir: string, count: number, options: { now: number; spreadMs: number; withinMs: number }): PendingSeed {
  const w = segmentWriter(dir);
  const timers: Record<string, TimerRecord> = {};
  const due = new Map<string, number>();
  const index: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const { message, timer } = pendingFallback(i, count, options);
    w.append(segmentKeyOf(idTimeOf(message)), message);
    timers[timer.id] = timer;
    due.set(message.id, timer.due);
    indexInto(index, message);
  }
  w.close();
  // These are the store's only messages: the index is complete from the beginning of time.
  const snapshotBytes = writeSnapshot(dir, { timers, ...attemptIndexCollections(index, 0) }, w.ends);
  return { due, bytes: w.stats.bytes, snapshotBytes };
}

const idTimeOf = (m: Message) => Date.parse(m.createdAt);

/**
 * The `i`-th of `count` messages on the fallback route, accepted evenly over
 * `[now - spreadMs, now]`, as the engine leaves it after its WhatsApp attempt went out, with its
 * pending step-0 `within` timer.
 */
export function pendingFallback(i: number, count: number, options: { now: number; spreadMs: number; withinMs: number }): { message: Message; timer: TimerRecord } {
  const within = `${options.withinMs / 1000}s`;
  const created = Math.floor(options.now - options.spreadMs + (i * options.spreadMs) / count);
  const id = messageId(created);
  const to = phone(i);
  const t = (ms: number) => iso(created + ms);
  const attemptId = attemptIdOf(created + 2);
  const pmid = `mock-${providerIdOf(created + 5)}`;
  const started = created + 2;
  const message: Message = {
    id, route: 'bench',
    plan: { steps: [{ channel: 'whatsapp', providers: ['mock-wa'], until: 'delivered', within }, { channel: 'sms', providers: ['mock-sms-silent'], until: 'delivered', within: '1h' }], mode: 'fallback', resendUnknown: false } as Message['plan'],
    to: { sms: to, whatsapp: to },
    content: { text: TEXTS[i % TEXTS.length] },
    status: 'routing',
    steps: [{ state: 'active', providerIndex: 0, retries: 0, startedAt: iso(started) }, { state: 'pending', providerIndex: 0, retries: 0 }],
    attempts: [{ id: attemptId, step: 0, channel: 'whatsapp', provider: 'mock-wa', to, status: 'queued', createdAt: t(2), updatedAt: t(5), receipts: [], providerMessageId: pmid }],
    history: [
      { at: t(0), event: 'accepted', status: 'accepted' },
      { at: t(2), event: 'routing', status: 'routing', cause: 'fallback route bench' },
      { at: t(2), event: 'step_started', step: 0, cause: `whatsapp via mock-wa, until delivered within ${within}` },
      { at: t(5), event: 'attempt_sent', step: 0, attempt: attemptId, cause: `mock-wa accepted it as ${pmid}` },
    ],
    createdAt: t(0), updatedAt: t(5),
  };
  const timerId = `${id}.0.timeout`;
  return { message, timer: { id: timerId, kind: 'step-timeout', due: started + options.withinMs, payload: { message: id, step: 0 } } };
}

const readState = (dir: string) => JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { collections: Record<string, Record<string, unknown>> };

/**
 * `retained` delivered messages (as `seedRetained`) and `pending` fallbacks (as `seedPending`) in
 * one store: the state issue 14's start-up target describes. Both seeders write `state.json`; it is
 * rewritten with the pending timers and where every segment now really ends (both appended to the
 * newest hours).
 */
export function seedRetainedWithPending(dir: string, o: { retained: number; days: number; fullHistoryMs: number; pending: number; spreadMs: number; withinMs: number; now: number }): { retained: RetainedSeed; pending: PendingSeed } {
  const retained = seedRetained(dir, o.retained, o.days, o.now, o.fullHistoryMs);
  const retainedState = readState(dir);
  const pending = seedPending(dir, o.pending, { now: o.now, spreadMs: o.spreadMs, withinMs: o.withinMs });
  const state = readState(dir);
  // One index over both, complete from where the retained one starts.
  Object.assign(state.collections, attemptIndexCollections({ ...retainedState.collections.attemptIndex, ...state.collections.attemptIndex } as Record<string, string>, retainedState.collections.attemptIndexCoverage.from as number));
  const ends: Record<string, number> = {};
  const messages = join(dir, 'messages');
  for (const day of readdirSync(messages)) {
    for (const file of readdirSync(join(messages, day)).filter((f) => f.endsWith(".jsonl"))) ends[`messages/${day}/${file.replace(/\.jsonl$/, '')}`] = statSync(join(messages, day, file)).size;
  }
  pending.snapshotBytes = writeSnapshot(dir, state.collections, ends);
  return { retained, pending };
}
