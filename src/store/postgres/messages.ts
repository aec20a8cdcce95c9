import type { Message } from '../../model.js';
import type { ListPage } from '../store.js';
import { attemptIndex } from './attempt-index.js';
import type { Queryable } from './pool.js';
import { recordTable, type PendingRow, type RecordListQuery } from './record-table.js';

export interface MessageListQuery extends RecordListQuery {
  status?: string;
  route?: string;
}

export interface MessagesOptions {
  /** The message's attempt keys (the engine's `attemptKeys`); `put` keeps `attempt_index` in step. */
  indexKeys?: (m: Message) => Iterable<string>;
  /** Largest record in bytes of JSON (default 4 MiB, as the file store). */
  maxRecordBytes?: number;
}

const table = recordTable<Message, 'status' | 'route'>({
  table: 'messages',
  timeColumn: 'created_at',
  columnNames: ['created_at', 'status', 'route'],
  columnTypes: ['timestamptz', 'text', 'text'],
  columns: (m) => [m.createdAt, m.status, m.route],
  filters: { status: 'status', route: 'route' },
  bodyType: 'json',
});

/**
 * Messages with their attempts and history, one row each (the record in `body`; `status`,
 * `route`, `created_at` beside it for lists and retention). Every call takes the unit of work's
 * `tx` (or the pool, for a read outside one).
 *
 * @example
 *   const messages = createMessages({ indexKeys: attemptKeys });
 *   await withTransaction(pool, async (tx) => { await lockMessage(tx, m.id); await messages.put(tx, m); });
 *   const page = await messages.list(pool, { status: 'sent', limit: 50 });
 */
export function createMessages(options: MessagesOptions = {}) {
  return {
    get: (db: Queryable, id: string): Promise<Message | undefined> => table.get(db, id),
    async put(db: Queryable, m: Message): Promise<void> {
      await table.put(db, m, options.maxRecordBytes);
      if (options.indexKeys) await attemptIndex.add(db, m.id, [...options.indexKeys(m)]);
    },
    row: (m: Message): PendingRow => ({ row: table.row(m), keys: options.indexKeys ? [...options.indexKeys(m)] : [] }),
    /** Many messages and their attempt keys in two statements (rows from `row`). */
    async putMany(db: Queryable, items: ReadonlyArray<PendingRow & { json: string }>): Promise<void> {
      await table.putMany(db, items);
      await attemptIndex.addMany(db, items.flatMap((item) => item.keys.map((key) => [String(item.row[0]), key] as const)));
    },
    list: (db: Queryable, query: MessageListQuery): Promise<ListPage<Message>> => table.list(db, query),
  };
}

export type Messages = ReturnType<typeof createMessages>;
