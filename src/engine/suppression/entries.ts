import { AppError } from '../../errors.js';
import type { SuppressionEntry } from '../../model.js';
import type { Channel } from '../../plugin-api.js';
import type { EngineContext } from '../context.js';
import { normalizeAddress } from '../addresses.js';
import { suppressionChannel, suppressionKey } from './keys.js';

/** Which entries `list` returns; every field optional, compared after normalizing. */
export interface SuppressionFilter {
  channel?: Channel;
  sender?: string;
  address?: string;
  limit: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** One (channel, sender, user) as the API names it. */
export interface SuppressionRef {
  channel: Channel;
  sender: string;
  address: string;
}

// Newest first like every list of the API; the key breaks ties so a page boundary is exact.
const newestFirst = (a: SuppressionEntry, b: SuppressionEntry): number => b.at.localeCompare(a.at) || keyOf(a).localeCompare(keyOf(b));
const keyOf = (e: SuppressionEntry): string => `${e.channel}|${e.sender}|${e.address}`;

const encodeCursor = (e: SuppressionEntry): string => Buffer.from(JSON.stringify([e.at, keyOf(e)])).toString('base64url');

function decodeCursor(cursor: string): [string, string] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((p) => typeof p === 'string')) return parsed as [string, string];
  } catch {
    // falls through to the 400 below
  }
  throw new AppError('validation_failed', 'cursor is not one this API issued');
}

/**
 * The suppression list as operators see it: read from what every instance committed (`fetch`,
 * `all`), changed under the key's cross-instance hold, committed before the caller answers.
 */
export function createSuppressionEntries(ctx: EngineContext) {
  const { store } = ctx;

  /**
   * Applies `change` to one key (`next`: the new entry, `null` to delete, absent to leave it) and
   * commits. A failed commit rejects; `keep` leaves the change queued for the store's next commit
   * (nobody would send it again), else the key is put back, so a client's 503 leaves nothing behind.
   */
  async function changeOne<T>(
    key: string,
    change: (existing: SuppressionEntry | undefined) => { result: T; next?: SuppressionEntry | null },
    onFailure: 'undo' | 'keep' = 'undo',
  ): Promise<T> {
    return ctx.exclusive(`suppression:${key}`, async () => {
      const existing = await store.suppressions.fetch(key);
      const { result, next } = change(existing);
      if (next === undefined) return result;
      if (next === null) store.suppressions.delete(key);
      else store.suppressions.set(key, next);
      try {
        await store.commit();
      } catch (err) {
        if (onFailure === 'keep') throw err;
        if (existing) store.suppressions.set(key, existing);
        else store.suppressions.delete(key);
        throw err;
      }
      return result;
    });
  }

  return {
    changeOne,

    find: (ref: SuppressionRef): Promise<SuppressionEntry | undefined> => store.suppressions.fetch(suppressionKey(ref.channel, ref.sender, ref.address)),

    /** Adds an entry unless one is there; `created` says which. */
    add(ref: SuppressionRef, source: SuppressionEntry['source'], detail: string): Promise<{ entry: SuppressionEntry; created: boolean }> {
      const entry: SuppressionEntry = {
        channel: suppressionChannel(ref.channel),
        sender: normalizeAddress(ref.sender),
        address: normalizeAddress(ref.address),
        source,
        detail,
        at: new Date(ctx.clock.now()).toISOString(),
      };
      return changeOne<{ entry: SuppressionEntry; created: boolean }>(suppressionKey(ref.channel, ref.sender, ref.address), (existing) =>
        existing ? { result: { entry: existing, created: false } } : { result: { entry, created: true }, next: entry },
      );
    },

    /** Removes an entry; the entry removed, or undefined when there was none. */
    remove(ref: SuppressionRef): Promise<SuppressionEntry | undefined> {
      return changeOne<SuppressionEntry | undefined>(suppressionKey(ref.channel, ref.sender, ref.address), (existing) => ({ result: existing, next: existing ? null : undefined }));
    },

    async list(filter: SuppressionFilter): Promise<{ items: SuppressionEntry[]; nextCursor?: string }> {
      const channel = filter.channel && suppressionChannel(filter.channel);
      const sender = filter.sender && normalizeAddress(filter.sender);
      const address = filter.address && normalizeAddress(filter.address);
      const after = filter.cursor ? decodeCursor(filter.cursor) : undefined;
      const matching = (await store.suppressions.all())
        .filter((e) => (!channel || e.channel === channel) && (!sender || e.sender === sender) && (!address || e.address === address))
        .filter((e) => !after || e.at < after[0] || (e.at === after[0] && keyOf(e) > after[1]))
        .sort(newestFirst);
      const items = matching.slice(0, filter.limit);
      return matching.length > filter.limit ? { items, nextCursor: encodeCursor(items.at(-1)!) } : { items };
    },

    /** Entries by channel, for the `switchboard_suppression_list_size` gauge (every channel reported, zeros too). */
    async sizes(): Promise<ReadonlyMap<string, number>> {
      const counts = new Map<string, number>([['sms', 0], ['whatsapp', 0], ['email', 0]]);
      for (const e of await store.suppressions.all()) counts.set(e.channel, (counts.get(e.channel) ?? 0) + 1);
      return counts;
    },
  };
}

export type SuppressionEntries = ReturnType<typeof createSuppressionEntries>;
