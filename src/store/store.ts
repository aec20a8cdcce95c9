import type { CallbackJob, ConsentHold, Conversation, DeadLetter, IdempotencyRecord, InboundRecord, LateReplyMark, Message, OptInRecord, ParkedReceipt, SuppressionEntry, TimerRecord } from '../model.js';

/**
 * A keyed collection of hot state. Changes are made at once and become durable at the next
 * `commit()`. Two kinds of read: `get`, `values`, `entries` and `size` see what this process holds
 * (the file store holds everything; a shared store only what this process changed and has not
 * committed yet), and `fetch`/`all` see what every instance sharing the store committed, plus this
 * process's own uncommitted changes. Code that reads a value another instance may have written
 * uses `fetch`, under `Store.exclusive` when it then changes it.
 */
export interface KeyValue<T> {
  get(key: string): T | undefined;
  fetch(key: string): Promise<T | undefined>;
  /** `fetch` for several keys in one read: the values found, by key. */
  fetchMany(keys: readonly string[]): Promise<Map<string, T>>;
  all(): Promise<T[]>;
  set(key: string, value: T): void;
  delete(key: string): void;
  values(): IterableIterator<T>;
  entries(): IterableIterator<[string, T]>;
  readonly size: number;
}

/** A timer as a shared store hands it to one instance: held by `owner` until its lease runs out. */
export interface LeasedTimer extends TimerRecord {
  owner: string;
  leaseUntil: number;
  revision: string;
}

/**
 * Timers claimed with leases, for stores several instances share: each due timer goes to one
 * claimer; a dead claimer's timers are claimable again once their lease runs out.
 */
export interface SharedTimers {
  readonly owner: string;
  readonly leaseMs: number;
  /** Claims timers due by `dueBy` whose lease (if any) ran out by `now`. */
  claimDue(now: number, dueBy: number, limit: number): Promise<LeasedTimer[]>;
  /** Extends the leases still held; returns the ids renewed. */
  renew(ids: readonly string[], now: number): Promise<string[]>;
  /** Removes a fired timer unless it was rescheduled or taken over meanwhile. */
  complete(timer: LeasedTimer): Promise<void>;
  /** Gives a claimed timer back, due again at `due` (its handler failed). */
  release(timer: LeasedTimer, due: number): Promise<void>;
  /** When (ms) the next timer becomes claimable. */
  /** When (ms) the next timer becomes claimable, claiming due times `lookaheadMs` ahead. */
  nextDue(lookaheadMs: number): Promise<number | undefined>;
  /** Calls `onWake` whenever another instance brings the next due time forward. */
  listen(onWake: () => void): { ready: Promise<void>; close(): Promise<void> };
  /** Stored timers in all, and `step-send` timers by provider (gauges). */
  counts(): Promise<{ pending: number; sendsWaiting: Map<string, number> }>;
}

export interface ListQuery<T> {
  /** Only records whose id sorts before this one (ids are time-ordered ULIDs; newest first). */
  before?: string;
  /** Only records created at or after this time (ms). */
  since?: number;
  limit: number;
  filter?: (record: T) => boolean;
  /**
   * At most this many records are read to answer one call (default 5,000), so a filter that
   * matches little cannot scan the whole retention; the answer then says where to go on.
   */
  scanLimit?: number;
}

export interface ListPage<T> {
  items: T[];
  /** Set when the scan stopped before the end: pass it as `before` to go on. */
  next?: string;
}

/** Records partitioned by creation time; ids are ULIDs, so an id names its partition. */
export interface PartitionedCollection<T extends { id: string }> {
  get(id: string): Promise<T | undefined>;
  /**
   * Inserts or replaces; durable at the next `commit()`. The record is serialized now, so a record
   * that cannot be stored (too deep, too big) throws an `AppError('validation_failed')` here, for
   * its own caller only, and nothing of it is queued.
   */
  put(record: T): void;
  /** Drops a put that no commit has written yet (rolling back a refused accept). */
  discard(id: string): void;
  list(query: ListQuery<T>): Promise<ListPage<T>>;
}

/** The keyed collections of hot state every store keeps. */
export const HOT_COLLECTIONS = ['timers', 'idempotency', 'outbox', 'deadLetters', 'seen', 'parked', 'inflight', 'windows', 'holds', 'optins', 'lateReplies', 'suppressions', 'conversations'] as const;

/**
 * How a record changes over its life, so a store may write a new version as what changed: the keys
 * in `fixed` keep the values of the record's first put (the very objects, not copies), arrays in
 * `appendOnly` are only pushed to, and every other key may change any time.
 */
export interface RecordChanges<M> {
  fixed: readonly (keyof M & string)[];
  appendOnly: readonly (keyof M & string)[];
}

/** What every store is opened with, whatever holds its data. */
export interface StoreOptions<M> {
  /**
   * Secondary keys of a message (the engine's `<instance>/<provider message id>` of each attempt);
   * the store keeps them in `attemptIndex` without knowing what they mean.
   */
  indexKeys: (record: M) => Iterable<string>;
  /** How far back (ms) `attemptIndex` reaches after a restart. */
  indexWindowMs: number;
  now?: () => number;
  /** Bytes of parsed records cached per collection (file store, default 8 MiB of their lines; PostgreSQL keeps none: another instance may change a row). */
  cacheBytes?: number;
  /**
   * Messages about to be read again (still routing, or an attempt waiting for its receipt): a
   * store that caches records keeps these in a budget of their own, `openCacheBytes` (file store:
   * 8 MiB, and their lines besides), so a burst of other traffic does not send their receipts to the disk.
   */
  isOpen?: (record: M) => boolean;
  openCacheBytes?: number;
  /** Dead letters older than this are removed by `prune` (default 30 days). */
  deadLetterMaxAgeMs?: number;
  /** How messages change after their first put; without it every put stores the whole message. */
  changes?: RecordChanges<M>;
}

/**
 * Where Switchboard keeps its state. Changes are made in memory and become durable together at
 * `commit()`; nothing is acknowledged to anyone before the commit that holds it has resolved.
 */
export interface Store {
  readonly timers: KeyValue<TimerRecord>;
  readonly idempotency: KeyValue<IdempotencyRecord>;
  readonly outbox: KeyValue<CallbackJob>;
  readonly deadLetters: KeyValue<DeadLetter>;
  /** Provider calls in flight, by attempt id: after a crash, exactly these attempts are `unknown`. */
  readonly inflight: KeyValue<{ message: string; step: number }>;
  /** Receipts waiting for their attempt, keyed `<instance>/<provider message id>/<n>`. */
  readonly parked: KeyValue<ParkedReceipt>;
  /** De-duplication keys (webhook events, inbound ids) with their expiry time in ms. */
  readonly seen: KeyValue<number>;
  /** Open WhatsApp windows by `<sender>|<user>`: when (ms) each closes. */
  readonly windows: KeyValue<number>;
  /** Steps held for a closed window, by `<sender>|<user>`, oldest first. */
  readonly holds: KeyValue<ConsentHold[]>;
  /** The last opt-in template sent to a user, by `<sender>|<user>`: one per hold period. */
  readonly optins: KeyValue<OptInRecord>;
  /** Users whose held message expired, by `<sender>|<user>`: their next reply gets the notice once. */
  readonly lateReplies: KeyValue<LateReplyMark>;
  /** Opted-out users by `<channel>|<sender>|<user>`. */
  readonly suppressions: KeyValue<SuppressionEntry>;
  /** Bridge conversations, by `pair:<customer>|<business>` and by `id:<contact center>/<conversation id>`. */
  readonly conversations: KeyValue<Conversation>;
  readonly messages: PartitionedCollection<Message>;
  readonly inbound: PartitionedCollection<InboundRecord>;
  /** Maps `<instance>/<provider message id>` to the id of the message holding that attempt. */
  readonly attemptIndex: KeyValue<string>;
  /**
   * Resolves once every change made before the call is on disk. Rejects with a
   * `StoreUnavailableError` when the write failed; the changes stay queued for the next commit
   * (a caller that must leave nothing behind undoes its own).
   */
  commit(): Promise<void>;
  /** False from a failed commit until the next one succeeds (readiness reports it). */
  readonly writable: boolean;
  /**
   * Deletes partitions older than `cutoff` (ms) — except those holding any of `live` (ids that
   * pending timers, idempotency keys and callbacks still point to) — and expired hot entries.
   */
  prune(cutoff: number, now: number, live?: Iterable<string>): Promise<{ partitionsDeleted: number }>;
  /**
   * Runs `fn` while holding `key` against every other process sharing the store (a message id, an
   * idempotency key…); what `fn` changed is committed before the key is let go, so the next holder
   * reads it with `fetch`. Calls nested inside `fn` share its hold. A store only one process uses
   * just runs `fn` (the engine's in-process lock serializes it).
   */
  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Provider calls that were in flight in a process that is gone (this one's previous life, or a
   * dead instance sharing the store): the engine marks their attempts `unknown`.
   */
  orphans(): Promise<Array<[attemptId: string, ref: { message: string; step: number }]>>;
  /** Set by a store several instances share: timers are claimed with leases instead of held in memory. */
  readonly sharedTimers?: SharedTimers;
  close(): Promise<void>;
  readonly stats: { commits: number; fileWrites: number };
}
