import { idTime } from '../ids.js';
import type { CallbackJob, ConsentHold, Conversation, DeadLetter, IdempotencyRecord, LateReplyMark, OptInRecord, ParkedReceipt, SuppressionEntry, TimerRecord } from '../model.js';
import { HOT_COLLECTIONS, type KeyValue } from './store.js';

type HotName = (typeof HOT_COLLECTIONS)[number];
type KeyValueOf = <T>(name: HotName) => KeyValue<T>;

/** The hot collections of the Store interface, each from the store's own keyed map. */
export function hotCollections(kv: KeyValueOf) {
  return {
    timers: kv<TimerRecord>('timers'),
    idempotency: kv<IdempotencyRecord>('idempotency'),
    outbox: kv<CallbackJob>('outbox'),
    deadLetters: kv<DeadLetter>('deadLetters'),
    seen: kv<number>('seen'),
    parked: kv<ParkedReceipt>('parked'),
    inflight: kv<{ message: string; step: number }>('inflight'),
    windows: kv<number>('windows'),
    holds: kv<ConsentHold[]>('holds'),
    optins: kv<OptInRecord>('optins'),
    lateReplies: kv<LateReplyMark>('lateReplies'),
    suppressions: kv<SuppressionEntry>('suppressions'),
    conversations: kv<Conversation>('conversations'),
  };
}

// Collections whose values are their own expiry (ms), and those whose values carry `expiresAt`.
const EXPIRY_IS_VALUE: ReadonlySet<string> = new Set<HotName>(['seen', 'windows']);
const EXPIRY_FIELD: ReadonlySet<string> = new Set<HotName>(['idempotency', 'parked', 'optins', 'lateReplies', 'conversations']);
const EXPIRING = HOT_COLLECTIONS.filter((name) => EXPIRY_IS_VALUE.has(name) || EXPIRY_FIELD.has(name) || name === 'deadLetters');

/**
 * When (ms) a hot value stops counting and retention removes it, or null for values that stay
 * until they are deleted. The one rule both stores expire by (the PostgreSQL store keeps it in
 * `kv.expires_at`), so neither loses what the other would keep.
 */
export function expiryOf(name: string, value: unknown, deadLetterMaxAgeMs: number): number | null {
  if (EXPIRY_IS_VALUE.has(name)) return typeof value === 'number' ? value : null;
  if (name === 'deadLetters') {
    const at = Date.parse(String((value as { at?: unknown } | null)?.at));
    return Number.isNaN(at) ? null : at + deadLetterMaxAgeMs;
  }
  if (!EXPIRY_FIELD.has(name)) return null;
  const at = (value as { expiresAt?: unknown } | null)?.expiresAt;
  return typeof at === 'number' ? at : null;
}

/**
 * What retention expires in every store: each hot value past its `expiryOf`, and attempt-index
 * entries of messages older than the index window. The caller commits.
 */
export function expireHot(kv: KeyValueOf, index: Pick<KeyValue<string>, 'entries' | 'delete'>, at: number, limits: { deadLetterMaxAgeMs: number; indexWindowMs: number }): void {
  for (const name of EXPIRING) {
    const map = kv<unknown>(name);
    for (const [k, v] of [...map.entries()]) {
      const expiry = expiryOf(name, v, limits.deadLetterMaxAgeMs);
      if (expiry !== null && expiry <= at) map.delete(k);
    }
  }
  for (const [k, messageId] of index.entries()) {
    if ((idTime(messageId) ?? 0) < at - limits.indexWindowMs) index.delete(k);
  }
}
