import { idTime } from '../ids.js';
import type { CallbackJob, DeadLetter, IdempotencyRecord, ParkedReceipt, TimerRecord } from '../model.js';
import type { HOT_COLLECTIONS, KeyValue } from './store.js';

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
  };
}

/**
 * What retention expires in every store: idempotency keys, de-duplication keys and parked
 * receipts past their time, dead letters past `deadLetterMaxAgeMs`, and attempt-index entries of
 * messages older than the index window. The caller commits.
 */
export function expireHot(kv: KeyValueOf, index: Map<string, string>, at: number, limits: { deadLetterMaxAgeMs: number; indexWindowMs: number }): void {
  const expire = <T>(name: HotName, expired: (v: T) => boolean) => {
    const map = kv<T>(name);
    for (const [k, v] of [...map.entries()]) if (expired(v)) map.delete(k);
  };
  expire<{ expiresAt: number }>('idempotency', (r) => r.expiresAt <= at);
  expire<number>('seen', (exp) => exp <= at);
  expire<{ expiresAt: number }>('parked', (p) => p.expiresAt <= at);
  expire<DeadLetter>('deadLetters', (d) => Date.parse(d.at) <= at - limits.deadLetterMaxAgeMs);
  for (const [k, messageId] of index) {
    if ((idTime(messageId) ?? 0) < at - limits.indexWindowMs) index.delete(k);
  }
}
