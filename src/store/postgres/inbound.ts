import type { InboundRecord } from '../../model.js';
import type { ListPage } from '../store.js';
import type { Queryable } from './pool.js';
import { recordTable, type PendingRow, type RecordListQuery } from './record-table.js';

export interface InboundListQuery extends RecordListQuery {
  instance?: string;
  channel?: string;
  /** Sender and recipient are matched inside `body`, without an index: narrow by instance, channel or time too. */
  from?: string;
  to?: string;
}

const table = recordTable<InboundRecord, 'instance' | 'channel' | 'from' | 'to'>({
  table: 'inbound',
  timeColumn: 'received_at',
  columnNames: ['received_at', 'instance', 'channel'],
  columnTypes: ['timestamptz', 'text', 'text'],
  columns: (r) => [r.receivedAt, r.instance, r.channel],
  filters: { instance: 'instance', channel: 'channel', from: "body->>'from'", to: "body->>'to'" },
  bodyType: 'jsonb',
});

/**
 * Inbound messages, one row each (the record in `body`; `instance`, `channel`, `received_at`
 * beside it for lists and retention).
 *
 * @example const page = await inbound.list(pool, { instance: 'twilio-us', channel: 'sms', limit: 50 });
 */
export const inbound = {
  get: (db: Queryable, id: string): Promise<InboundRecord | undefined> => table.get(db, id),
  put: (db: Queryable, record: InboundRecord, maxRecordBytes?: number): Promise<void> => table.put(db, record, maxRecordBytes),
  row: (record: InboundRecord): PendingRow => ({ row: table.row(record), keys: [] }),
  putMany: (db: Queryable, items: ReadonlyArray<PendingRow & { json: string }>): Promise<void> => table.putMany(db, items),
  list: (db: Queryable, query: InboundListQuery): Promise<ListPage<InboundRecord>> => table.list(db, query),
};
