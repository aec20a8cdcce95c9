import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { decodeTime } from 'ulid';
import type { ListQuery, PartitionedCollection } from '../store.js';
import { DurableJSONFile } from './durable-file.js';
import type { GroupCommit } from './group-commit.js';

interface PartitionData<T> {
  items: Record<string, T>;
}

interface Partition<T> {
  key: string;
  db: Low<PartitionData<T>>;
  lastUsed: number;
  /** Bumped on every put; a flush that started at an older version leaves the partition pinned. */
  version: number;
  flushedVersion: number;
  flush(): Promise<void>;
}

export interface PartitionedOptions<T> {
  dir: string;
  gc: GroupCommit;
  onWrite: () => void;
  /** How many partitions may stay in memory; unwritten ones are never evicted. */
  maxLoaded?: number;
  /**
   * Records that must stay in memory (messages still routing): the engine holds them across
   * provider calls, and a second copy read from disk would split their updates.
   */
  pinned?: (record: T) => boolean;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-11-23/17`: one file an hour in a folder a day, so retention deletes whole files. */
export function partitionKey(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}/${pad(d.getUTCHours())}`;
}

function keyOfId(id: string): string | undefined {
  try {
    return partitionKey(decodeTime(id));
  } catch {
    return undefined;
  }
}

/**
 * Records in hourly lowdb files. A write rewrites only the partitions that changed, so its cost
 * follows the hour's traffic, not the history kept.
 */
export function createPartitioned<T extends { id: string }>(options: PartitionedOptions<T>) {
  const maxLoaded = options.maxLoaded ?? 24;
  const loaded = new Map<string, Partition<T>>();
  const loading = new Map<string, Promise<Partition<T>>>();
  const pendingPuts = new Set<Promise<void>>();

  const fileOf = (key: string) => join(options.dir, `${key}.json`);

  async function load(key: string): Promise<Partition<T>> {
    const hit = loaded.get(key);
    if (hit) {
      hit.lastUsed = Date.now();
      return hit;
    }
    let pending = loading.get(key);
    if (!pending) {
      pending = (async () => {
        const db = new Low<PartitionData<T>>(new DurableJSONFile(fileOf(key), options.onWrite), { items: {} });
        await db.read();
        const partition: Partition<T> = {
          key, db, lastUsed: Date.now(), version: 0, flushedVersion: 0,
          async flush() {
            const version = partition.version;
            await db.write();
            partition.flushedVersion = Math.max(partition.flushedVersion, version);
          },
        };
        loaded.set(key, partition);
        loading.delete(key);
        evict();
        return partition;
      })();
      loading.set(key, pending);
    }
    return pending;
  }

  const pinned = options.pinned ?? (() => false);
  const evictable = (p: Partition<T>) => p.flushedVersion === p.version && !Object.values(p.db.data.items).some(pinned);

  function evict(): void {
    if (loaded.size <= maxLoaded) return;
    const idle = [...loaded.values()]
      .filter((p) => p.flushedVersion === p.version)
      .sort((a, b) => a.lastUsed - b.lastUsed)
      .filter(evictable);
    for (const p of idle.slice(0, loaded.size - maxLoaded)) loaded.delete(p.key);
  }

  function insert(partition: Partition<T>, record: T): void {
    partition.db.data.items[record.id] = record;
    partition.version += 1;
    partition.lastUsed = Date.now();
    options.gc.markDirty(partition);
  }

  async function keys(): Promise<string[]> {
    const found = new Set<string>(loaded.keys());
    const days = await readdir(options.dir).catch(() => [] as string[]);
    for (const day of days) {
      if (!/^\d{4}-\d\d-\d\d$/.test(day)) continue;
      for (const f of await readdir(join(options.dir, day)).catch(() => [] as string[])) {
        if (/^\d\d\.json$/.test(f)) found.add(`${day}/${f.slice(0, 2)}`);
      }
    }
    return [...found].sort();
  }

  const collection: PartitionedCollection<T> = {
    async get(id) {
      const key = keyOfId(id);
      if (!key) return undefined;
      const partition = loaded.get(key) ?? (await load(key));
      return partition.db.data.items[id];
    },
    put(record) {
      const key = keyOfId(record.id);
      if (!key) throw new Error(`record id ${record.id} is not a ULID`);
      const partition = loaded.get(key);
      if (partition) return insert(partition, record);
      // Never write a partition that was not read first: load, then insert, before the next commit.
      const p = load(key).then((loadedPartition) => insert(loadedPartition, record));
      pendingPuts.add(p);
      void p.finally(() => pendingPuts.delete(p));
    },
    async list(query: ListQuery<T>) {
      const out: T[] = [];
      const sinceKey = query.since === undefined ? '' : partitionKey(query.since);
      const beforeKey = query.before ? keyOfId(query.before) ?? '9999' : '9999';
      for (const key of (await keys()).reverse()) {
        if (key > beforeKey) continue;
        if (key < sinceKey) break;
        const partition = await load(key);
        const ids = Object.keys(partition.db.data.items).sort().reverse();
        for (const id of ids) {
          if (query.before && id >= query.before) continue;
          const record = partition.db.data.items[id];
          if (query.since !== undefined && decodeTime(id) < query.since) continue;
          if (query.filter && !query.filter(record)) continue;
          out.push(record);
          if (out.length >= query.limit) return out;
        }
      }
      return out;
    },
  };

  return {
    collection,
    keys,
    load,
    /** Drops every fully written partition from memory (after the index was built from them). */
    release(): void {
      for (const p of loaded.values()) if (evictable(p)) loaded.delete(p.key);
    },
    /** Waits for puts into partitions that were still being read. */
    settle: () => Promise.all([...pendingPuts]).then(() => undefined),
    /** Deletes every partition of an hour before `cutoff`. */
    async deleteBefore(cutoff: number): Promise<number> {
      const cutoffKey = partitionKey(cutoff);
      let deleted = 0;
      for (const key of await keys()) {
        if (key >= cutoffKey) break;
        loaded.delete(key);
        await rm(fileOf(key), { force: true });
        deleted += 1;
      }
      const days = await readdir(options.dir).catch(() => [] as string[]);
      for (const day of days) {
        if ((await readdir(join(options.dir, day)).catch(() => ['x'])).length === 0) await rm(join(options.dir, day), { recursive: true, force: true });
      }
      return deleted;
    },
  };
}
