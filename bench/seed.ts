/**
 * Writes store files directly, in the lowdb store's own layout: `messages/YYYY-MM-DD/HH.json`
 * holding `{"items": {<ulid>: Message}}`, and `state.json` for timers. Records have the shape the
 * engine writes (src/model.ts); ids are ULIDs of their creation time, so each lands in its hour.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ulid } from 'ulid';
import type { Message, TimerRecord } from '../src/model.js';

const HOUR = 3_600_000;
const pad = (n: number) => String(n).padStart(2, '0');
const keyOf = (ms: number) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}/${pad(d.getUTCHours())}`;
};
const iso = (ms: number) => new Date(ms).toISOString();
const phone = (i: number) => `+1555${String(1_000_000 + (i % 9_000_000)).padStart(7, '0')}`;
const TEXTS = ['Your code is 424242. It expires in 10 minutes.', 'Your order #8841 has shipped and arrives Thursday.', 'Reminder: appointment tomorrow at 10:30. Reply C to confirm.'];

/** A message that went out by SMS and was delivered, as the engine leaves it. */
function deliveredMessage(created: number, i: number): Message {
  const id = ulid(created);
  const to = phone(i);
  const t = (ms: number) => iso(created + ms);
  const attemptId = ulid(created + 6);
  const pmid = `mock-${ulid(created + 40)}`;
  return {
    id, route: 'bench',
    plan: { steps: [{ channel: 'sms', providers: ['mock-sms'], until: 'delivered', within: '30s' }], mode: 'fallback', resendUnknown: false } as Message['plan'],
    to: { sms: to, whatsapp: to },
    content: { text: TEXTS[i % TEXTS.length] },
    status: 'delivered',
    steps: [{ state: 'succeeded', providerIndex: 0, retries: 0, startedAt: t(6), endedAt: t(1050) }],
    attempts: [{
      id: attemptId, step: 0, channel: 'sms', provider: 'mock-sms', to, status: 'delivered', createdAt: t(6), updatedAt: t(1050),
      receipts: [{ status: 'sent', at: t(1045) }, { status: 'delivered', at: t(1050) }], providerMessageId: pmid,
    }],
    history: [
      { at: t(0), event: 'accepted', status: 'accepted' },
      { at: t(6), event: 'routing', status: 'routing', cause: 'fallback route bench' },
      { at: t(6), event: 'step_started', step: 0, cause: 'sms via mock-sms, until delivered within 30s' },
      { at: t(40), event: 'attempt_sent', step: 0, attempt: attemptId, cause: `mock-sms accepted it as ${pmid}` },
      { at: t(1045), event: 'receipt', step: 0, attempt: attemptId, cause: 'sms sent' },
      { at: t(1050), event: 'receipt', step: 0, attempt: attemptId, cause: 'sms delivered' },
      { at: t(1050), event: 'step_succeeded', step: 0, cause: 'delivered reached on sms' },
      { at: t(1050), event: 'completed', status: 'delivered', cause: 'success condition met' },
    ],
    createdAt: t(0), updatedAt: t(1050), completedAt: t(1050),
  };
}

function writePartitions(dir: string, byKey: Map<string, Record<string, Message>>): number {
  let bytes = 0;
  for (const [key, items] of byKey) {
    const [day, hour] = key.split('/');
    mkdirSync(join(dir, 'messages', day), { recursive: true });
    const text = JSON.stringify({ items });
    bytes += Buffer.byteLength(text);
    writeFileSync(join(dir, 'messages', day, `${hour}.json`), text);
  }
  return bytes;
}

/**
 * `count` delivered messages spread evenly over the `days` before `now` (the current hour
 * included), written hour by hour. Returns the bytes written and the partitions made.
 */
export function seedRetained(dir: string, count: number, days: number, now: number): { bytes: number; partitions: number } {
  const start = now - days * 24 * HOUR + HOUR; // stay clear of the retention cutoff
  const step = (now - 60_000 - start) / count;
  let bytes = 0;
  let partitions = 0;
  let current = '';
  let batch = new Map<string, Record<string, Message>>();
  for (let i = 0; i < count; i++) {
    const created = Math.floor(start + i * step + Math.random() * step * 0.9);
    const key = keyOf(created);
    if (key !== current) {
      bytes += writePartitions(dir, batch);
      partitions += batch.size;
      batch = new Map([[key, {}]]);
      current = key;
    }
    const m = deliveredMessage(created, i);
    batch.get(key)![m.id] = m;
  }
  bytes += writePartitions(dir, batch);
  partitions += batch.size;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'state.json'), JSON.stringify({ timers: {}, idempotency: {}, outbox: {}, deadLetters: {}, seen: {} }));
  return { bytes, partitions };
}

export interface PendingSeed {
  /** Message id → when its WhatsApp step's timer is due (ms). */
  due: Map<string, number>;
  bytes: number;
}

/**
 * `count` messages on the fallback route, accepted evenly over `[now - spreadMs, now]`, whose
 * WhatsApp attempt went out and whose `within` timer (step 0) is pending: the state a gateway is in
 * after accepting them, exactly as it finds it again after a restart.
 */
export function seedPending(dir: string, count: number, options: { now: number; spreadMs: number; withinMs: number }): PendingSeed {
  const byKey = new Map<string, Record<string, Message>>();
  const timers: Record<string, TimerRecord> = {};
  const due = new Map<string, number>();
  const within = `${options.withinMs / 1000}s`;
  for (let i = 0; i < count; i++) {
    const created = Math.floor(options.now - options.spreadMs + (i * options.spreadMs) / count);
    const id = ulid(created);
    const to = phone(i);
    const t = (ms: number) => iso(created + ms);
    const attemptId = ulid(created + 2);
    const pmid = `mock-${ulid(created + 5)}`;
    const started = created + 2;
    const m: Message = {
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
    const key = keyOf(created);
    if (!byKey.has(key)) byKey.set(key, {});
    byKey.get(key)![id] = m;
    const timerId = `${id}.0.timeout`;
    timers[timerId] = { id: timerId, kind: 'step-timeout', due: started + options.withinMs, payload: { message: id, step: 0 } };
    due.set(id, started + options.withinMs);
  }
  const bytes = writePartitions(dir, byKey);
  writeFileSync(join(dir, 'state.json'), JSON.stringify({ timers, idempotency: {}, outbox: {}, deadLetters: {}, seen: {} }));
  return { due, bytes };
}
