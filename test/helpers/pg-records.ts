/**
 * A migrated database of its own for one PostgreSQL test file, and plain records to store in it.
 */
import pg from 'pg';
import { createIdFactory } from '../../src/ids.js';
import type { InboundRecord, Message, MessageStatus } from '../../src/model.js';
import { migrate } from '../../src/store/postgres/migrate.js';
import { createPool } from '../../src/store/postgres/pool.js';
import { createDatabase } from './postgres.js';

export interface TestDatabase {
  url: string;
  pool: pg.Pool;
  /** Another pool on the same database: a second instance, as far as PostgreSQL can tell. */
  openPool(max?: number, applicationName?: string): pg.Pool;
  close(): Promise<void>;
}

/** Creates, migrates and returns a fresh database; `close()` ends every pool and drops it. */
export async function migratedDatabase(adminUrl: string): Promise<TestDatabase> {
  const db = await createDatabase(adminUrl);
  const pools: pg.Pool[] = [];
  const openPool = (max = 4, applicationName?: string) => {
    const p = createPool({ url: db.url, max, applicationName });
    pools.push(p);
    return p;
  };
  const pool = openPool();
  await migrate(pool);
  return {
    url: db.url,
    pool,
    openPool,
    async close() {
      await Promise.all(pools.map((p) => p.end()));
      await db.drop();
    },
  };
}

const nextId = createIdFactory();

/** A message created at `at` (ms), with one attempt that has a provider id. */
export function message(at: number, fields: { status?: MessageStatus; route?: string; providerMessageId?: string } = {}): Message {
  const id = nextId(at);
  const iso = new Date(at).toISOString();
  return {
    id,
    route: fields.route ?? 'default',
    plan: { mode: 'fallback', resendUnknown: false, steps: [] },
    to: { sms: '+15550100' },
    content: { text: `hello from ${id}` },
    status: fields.status ?? 'accepted',
    steps: [{ state: 'active', providerIndex: 0, retries: 0, startedAt: iso }],
    attempts: [
      {
        id: `${id}.0`, step: 0, channel: 'sms', provider: 'mock', to: '+15550100', status: 'sent',
        providerMessageId: fields.providerMessageId ?? `pm-${id}`, createdAt: iso, updatedAt: iso, receipts: [],
      },
    ],
    history: [{ at: iso, event: 'accepted', status: 'accepted' }],
    createdAt: iso,
    updatedAt: iso,
  };
}

/** An inbound message received at `at` (ms). */
export function inboundRecord(at: number, fields: { instance?: string; channel?: InboundRecord['channel']; from?: string } = {}): InboundRecord {
  return {
    id: nextId(at),
    instance: fields.instance ?? 'mock',
    channel: fields.channel ?? 'sms',
    from: fields.from ?? '+15550100',
    to: '+15550199',
    text: 'hi',
    providerMessageId: `in-${at}`,
    receivedAt: new Date(at).toISOString(),
  };
}
