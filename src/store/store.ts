import type { CallbackJob, DeadLetter, IdempotencyRecord, InboundRecord, Message, ParkedReceipt, TimerRecord } from '../model.js';

/** A small keyed collection that lives wholly in memory (the hot state). */
export interface KeyValue<T> {
  get(key: string): T | undefined;
  set(key: string, value: T): void;
  delete(key: string): void;
  values(): IterableIterator<T>;
  entries(): IterableIterator<[string, T]>;
  readonly size: number;
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
export const HOT_COLLECTIONS = ['timers', 'idempotency', 'outbox', 'deadLetters', 'seen', 'parked', 'inflight'] as const;

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
  /** Bytes of parsed records cached per collection (default 32 MiB). */
  cacheBytes?: number;
  /** Dead letters older than this are removed by `prune` (default 30 days). */
  deadLetterMaxAgeMs?: number;
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
  close(): Promise<void>;
  readonly stats: { commits: number; fileWrites: number };
}
