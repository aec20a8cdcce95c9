import { join } from 'node:path';
import { StoreUnavailableError } from '../../errors.js';
import type { InboundRecord, Message } from '../../model.js';
import { ATTEMPT_INDEX_COLLECTIONS, ATTEMPT_INDEX_ENTRIES, AttemptIndex } from './attempt-index.js';
import { expireHot, hotCollections } from '../hot-collections.js';
import { HOT_COLLECTIONS, type Store, type StoreOptions } from '../store.js';
import { appendsOnDisk } from './commit-check.js';
import { lockFolder } from './folder-lock.js';
import { createGroupCommit, type CommitPoint } from './group-commit.js';
import { HotState } from './hot-state.js';
import type { VerifyCommit } from './journal.js';
import { hotKeyValue } from './key-value.js';
import { keyOfId } from './segment-key.js';
import { openSegmentLog } from './segment-log.js';

export { StoreLockedError } from './folder-lock.js';

export interface FileStoreOptions extends StoreOptions<Message> {
  /** The state folder (`store.path`); this process holds it exclusively until `close()`. */
  dir: string;
  /** The longest stored record line a put accepts (default 4 MiB). */
  maxLineBytes?: number;
  /** Bytes of segment indexes kept per collection (default 64 MiB). */
  indexBytes?: number;
  /**
   * Called at open when the last commit before it did not reach the disk whole (a crash while its
   * files were written) and was dropped, with the files it named: for the log, as it was never acknowledged.
   */
  onTornCommit?: (files: string[]) => void;
}

const HOUR_MS = 3_600_000;
// Parsed records are counted by their lines' bytes; one weighs about 1.5 times that, and each
// version a put replaces is old-generation garbage by then. With 64 + 32 MiB of them the heap grew
// to 900 MB while 100k fallbacks fired, and its collections held timers back 100–330 ms (p99).
// Open messages are kept as their lines as well (line-cache.ts): one string a line, cheap to keep.
const OPEN_CACHE_BYTES = 8 * 1024 * 1024;
const CACHE_BYTES = 8 * 1024 * 1024;
const OPEN_LINE_BYTES = 48 * 1024 * 1024;
// A day and a bit: every hour passes through the window of one daily prune.
const COMPACT_REACH_MS = 26 * HOUR_MS;

/** Committed ends of one collection's hours, where an hour no marker named ends at 0. */
function withZeroDefault(ends: ReadonlyMap<string, number>, name: string): ReadonlyMap<string, number> {
  return { get: (k: string) => ends.get(k) ?? (k.startsWith(`${name}/`) ? 0 : undefined) } as ReadonlyMap<string, number>;
}

/**
 * The embedded store. Hot state (timers, idempotency keys, callback outbox, dead letters,
 * de-duplication keys, parked receipts) lives in memory, journaled and folded into a lowdb
 * snapshot (`state.json`); messages and inbound messages live in hourly append-only files. All
 * writes are group-committed: one durable append per file for every change made meanwhile.
 *
 * @example
 *   const store = await openFileStore({ dir: './data', indexWindowMs: 3 * 86_400_000, indexKeys: (m) => [] });
 *   store.timers.set('t1', timer); await store.commit(); … await store.close();
 */
export async function openFileStore(options: FileStoreOptions): Promise<Store> {
  const lock = await lockFolder(options.dir);
  try {
    return await openLocked(options, lock);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function openLocked(options: FileStoreOptions, lock: { release(): Promise<void> }): Promise<Store> {
  const now = options.now ?? Date.now;
  const deadLetterMaxAgeMs = options.deadLetterMaxAgeMs ?? 30 * 86_400_000;
  const stats = { commits: 0, fileWrites: 0 };
  // The journal is the commit point: a commit counts once its marker and the appends it names are on disk.
  let hot!: HotState;
  const point: CommitPoint = { flush: () => hot.flush(), beginCommit: () => hot.beginCommit() };
  const gc = createGroupCommit(() => {
    stats.commits += 1;
  }, point);
  const onWrite = () => {
    stats.fileWrites += 1;
  };
  const logOptions = { gc, onWrite, maxLineBytes: options.maxLineBytes, cacheBytes: options.cacheBytes ?? CACHE_BYTES, indexBytes: options.indexBytes };

  // A marker key is `<collection>/<hour>`, and a collection's segments live in its own folder.
  const verify: VerifyCommit = async (ends, checks) => {
    const whole = await appendsOnDisk((file) => join(options.dir, `${file}.jsonl`), ends, checks);
    if (!whole) options.onTornCommit?.(Object.keys(checks));
    return whole;
  };
  hot = await HotState.open(options.dir, [...HOT_COLLECTIONS, ...ATTEMPT_INDEX_COLLECTIONS], { onWrite, touch: () => gc.markDirty(point), deferred: [ATTEMPT_INDEX_ENTRIES], verify });
  // In a marked store every segment was named by a commit marker; one that never was belongs to a
  // commit that never reached its marker, and is cut whole.
  const committedEnds = hot.marked ? new Map([...hot.segmentEnds].map(([k, v]) => [k, v])) : new Map<string, number>();
  const endsFor = (name: string) => ({ name, committedEnds: hot.marked ? withZeroDefault(committedEnds, name) : committedEnds });
  const open = options.isOpen && { isOpen: options.isOpen, maxBytes: options.openCacheBytes ?? OPEN_CACHE_BYTES };
  const messages = await openSegmentLog<Message>({ dir: join(options.dir, 'messages'), ...logOptions, ...endsFor('messages'), open, openLineBytes: OPEN_LINE_BYTES, changes: options.changes });
  const inbound = await openSegmentLog<InboundRecord>({ dir: join(options.dir, 'inbound'), ...logOptions, ...endsFor('inbound') });
  if (!hot.marked) await hot.adopt([...messages.ends(), ...inbound.ends()]);
  const { index, hoursParsed } = await AttemptIndex.open(hot, messages, options.indexKeys, now() - options.indexWindowMs);
  // Written now so the next start skips the parse. A refused write (a full disk) must not stop the
  // start: the entries stay queued for the next commit, and until one succeeds a start parses again.
  if (hoursParsed > 0) await gc.commit().catch(() => undefined);

  const kv = <T>(name: string) => hotKeyValue<T>(hot, name);
  const collections = hotCollections(kv);
  // One process owns the folder: whatever was in flight at open belongs to its previous life.
  const orphans = [...collections.inflight.entries()];
  return {
    ...collections,
    messages: messages.collection,
    inbound: inbound.collection,
    attemptIndex: index.entries,
    stats,
    exclusive: (_key, fn) => fn(),
    orphans: async () => orphans.splice(0).filter(([id]) => collections.inflight.get(id) !== undefined),
    get writable() {
      return gc.writable;
    },
    commit: () => gc.commit(),
    async prune(cutoff, at, live = []) {
      // A partition that live state points into stays, however old.
      const keep = new Set<string>();
      for (const id of live) {
        const key = keyOfId(id);
        if (key) keep.add(key);
      }
      const partitionsDeleted = (await messages.deleteBefore(cutoff, keep)) + (await inbound.deleteBefore(cutoff, keep));
      // Hours that closed in the last day (prune runs daily), rewritten as final versions: late
      // receipts are rare by then. Inbound records are written once, so they have nothing to fold.
      await messages.compactBetween(at - COMPACT_REACH_MS, at - HOUR_MS);
      expireHot(kv, index.entries, at, { deadLetterMaxAgeMs, indexWindowMs: options.indexWindowMs });
      index.expired(at - options.indexWindowMs);
      await gc.commit();
      return { partitionsDeleted };
    },
    async close() {
      // In-flight flushes finish (and one last try for what is still queued) before any file closes.
      const unwritten = await gc.close();
      await messages.close();
      await inbound.close();
      await hot.close();
      await lock.release();
      if (unwritten) throw unwritten instanceof StoreUnavailableError ? unwritten : new StoreUnavailableError(unwritten);
    },
  };
}
