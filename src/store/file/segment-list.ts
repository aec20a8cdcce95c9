import { idTime } from '../../ids.js';
import type { ListPage, ListQuery } from '../store.js';
import { keyOfId, segmentKey } from './segment-key.js';

const DEFAULT_SCAN_LIMIT = 5000;

/** What listing needs from a segment log. */
export interface ListSource<T> {
  /** Partition keys, oldest first. */
  keys(): string[];
  /** Ids stored or pending in one partition. */
  ids(key: string): Promise<Iterable<string>>;
  /** A record without making it count as recently used. */
  peek(id: string): Promise<T | undefined>;
}

async function* newestFirst<T>(query: ListQuery<T>, source: ListSource<T>): AsyncGenerator<string> {
  const sinceKey = query.since === undefined ? '' : segmentKey(query.since);
  const beforeKey = query.before ? keyOfId(query.before) ?? '9999' : '9999';
  for (const key of source.keys().reverse()) {
    if (key > beforeKey) continue;
    if (key < sinceKey) return;
    for (const id of [...(await source.ids(key))].sort().reverse()) {
      if (query.before && id >= query.before) continue;
      if (query.since !== undefined && (idTime(id) ?? 0) < query.since) return;
      yield id;
    }
  }
}

/**
 * Newest first, reading at most `scanLimit` records a call, so a filter that matches little
 * cannot walk the whole retention; when it stops early, `next` says where to go on.
 */
export async function listRecords<T>(query: ListQuery<T>, source: ListSource<T>): Promise<ListPage<T>> {
  const scanLimit = query.scanLimit ?? DEFAULT_SCAN_LIMIT;
  const items: T[] = [];
  let scanned = 0;
  let last: string | undefined;
  for await (const id of newestFirst(query, source)) {
    // Another candidate exists past the last one looked at: the caller can go on from there.
    if (items.length >= query.limit || scanned >= scanLimit) return { items, next: last };
    scanned += 1;
    last = id;
    const record = await source.peek(id);
    if (record && (!query.filter || query.filter(record))) items.push(record);
  }
  return { items };
}
