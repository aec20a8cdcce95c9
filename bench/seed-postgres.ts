/**
 * Pending fallbacks written straight into a PostgreSQL store's tables, the counterpart of
 * `seedPending` for the file store: the same messages (`pendingFallback`) as rows of `messages`
 * (`id, created_at, status, route, body`) and their step-0 timers as rows of `timers`
 * (`id, kind, due, payload`, unleased) — what the store writes for them after the WhatsApp send.
 * The schema is made by the daemon's own `switchboard migrate` first.
 */
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { pendingFallback } from './seed.js';

const INSERT_MESSAGES = `
  INSERT INTO messages (id, created_at, status, route, body)
  SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::jsonb[])`;
const INSERT_TIMERS = `
  INSERT INTO timers (id, kind, due, payload)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::jsonb[])`;

export interface PendingPostgresSeed {
  /** Message id → when its WhatsApp step's timer is due (ms). */
  due: Map<string, number>;
  /** Bytes of JSON sent for the message bodies. */
  bytes: number;
}

/** Runs the daemon's `migrate` command against `url`; throws with its stderr when it fails. */
export function migrateWith(daemon: { cmd: string; args: string[] }, url: string): void {
  const r = spawnSync(daemon.cmd, [...daemon.args, 'migrate', '--url', url], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`switchboard migrate failed: ${r.stderr.trim() || r.stdout.trim()}`);
}

export async function seedPendingPostgres(url: string, count: number, options: { now: number; spreadMs: number; withinMs: number; batch?: number }): Promise<PendingPostgresSeed> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const due = new Map<string, number>();
  let bytes = 0;
  const batch = options.batch ?? 5000;
  try {
    for (let from = 0; from < count; from += batch) {
      const rows = Array.from({ length: Math.min(batch, count - from) }, (_, k) => pendingFallback(from + k, count, options));
      const bodies = rows.map((r) => JSON.stringify(r.message));
      bytes += bodies.reduce((a, b) => a + Buffer.byteLength(b), 0);
      await client.query('BEGIN');
      await client.query(INSERT_MESSAGES, [rows.map((r) => r.message.id), rows.map((r) => r.message.createdAt), rows.map((r) => r.message.status), rows.map((r) => r.message.route), bodies]);
      await client.query(INSERT_TIMERS, [rows.map((r) => r.timer.id), rows.map((r) => r.timer.kind), rows.map((r) => r.timer.due), rows.map((r) => JSON.stringify(r.timer.payload))]);
      await client.query('COMMIT');
      for (const r of rows) due.set(r.message.id, r.timer.due);
    }
    await client.query('ANALYZE messages');
    await client.query('ANALYZE timers');
  } finally {
    await client.end();
  }
  return { due, bytes };
}
