import type pg from 'pg';
import type { TimerRecord } from '../../model.js';
import type { Queryable } from './pool.js';
import { listenForTimers, type ListenOptions, type TimerListener } from './timer-listener.js';

/** A timer this owner holds until `leaseUntil` (ms); `revision` names this claim of it. */
export interface ClaimedTimer extends TimerRecord {
  owner: string;
  leaseUntil: number;
  revision: string;
}

export interface ClaimOptions {
  /** Who claims: one id per running instance. */
  owner: string;
  /** The claimer's clock (ms); every instance's clock is compared with it, so keep them in sync. */
  now: number;
  /** Claim timers due up to this time (default `now`); a later one is held until it is due. Leases are judged by `now` alone. */
  dueBy?: number;
  limit: number;
  leaseMs: number;
}

export interface RenewOptions {
  owner: string;
  ids: readonly string[];
  now: number;
  leaseMs: number;
}

interface TimerRow {
  id: string;
  kind: string;
  due: string;
  payload: TimerRecord['payload'];
  lease_owner: string;
  lease_until: string;
  revision: string;
}

/** The channel a schedule notifies when it brings the next due time forward (payload: due ms). */
export const TIMER_CHANNEL = 'switchboard_timers';

// Notifies only when no other unclaimed timer is due at or before this one: a listener waiting for
// an earlier one has nothing to learn. All CTEs read one snapshot: `earlier` ignores this insert.
const SCHEDULE = `
  WITH upserted AS (
    INSERT INTO timers (id, kind, due, payload) VALUES ($1, $2, $3::bigint, $4)
    ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, due = EXCLUDED.due, payload = EXCLUDED.payload,
      lease_owner = NULL, lease_until = NULL, revision = nextval('timer_revisions')
    RETURNING revision
  ), notified AS (
    SELECT pg_notify('${TIMER_CHANNEL}', ($3::bigint)::text) FROM upserted
    WHERE NOT EXISTS (SELECT 1 FROM timers WHERE lease_owner IS NULL AND due <= $3::bigint AND id <> $1)
  )
  SELECT (SELECT count(*) FROM notified) AS notified`;

// SKIP LOCKED: concurrent claimers pass over each other's rows instead of waiting; a row another
// claimer updated after our snapshot is re-checked against the WHERE (its new lease excludes it).
// Candidates come from the two partial indexes (unleased by due; leased by lease end), so a claim
// does not walk past the leases of every running handler to reach the due timers nobody holds.
// Four times the limit of them, so claimers running at once still find rows the others have not
// locked; a short batch only means "claim again", never "nothing is due". The candidates go in as
// an array, so they are looked up by primary key: joined as a set, the planner may instead walk
// every timer due so far (the running handlers' too) by the index on due.
const CLAIM = `
  UPDATE timers SET lease_owner = $1, lease_until = $2::bigint + $4::bigint, revision = nextval('timer_revisions')
  WHERE id IN (
    SELECT id FROM timers
    WHERE id = ANY(ARRAY(
      (SELECT id FROM timers WHERE lease_owner IS NULL AND due <= $5::bigint ORDER BY due LIMIT $3 * 4)
      UNION ALL
      (SELECT id FROM timers WHERE lease_owner IS NOT NULL AND lease_until < $2::bigint AND due <= $5::bigint LIMIT $3 * 4)
    ))
    AND due <= $5::bigint AND (lease_until IS NULL OR lease_until < $2::bigint)
    ORDER BY due LIMIT $3 FOR UPDATE SKIP LOCKED
  )
  RETURNING id, kind, due, payload, lease_owner, lease_until, revision`;

// SKIP LOCKED: a row a commit is writing right now (the handler's own completion, or its timer
// rescheduled) is left for the next renewal, a third of a lease later. Waiting for it instead let
// a renewal and a commit lock the same rows in opposite orders: a deadlock one of them lost.
const RENEW = `
  UPDATE timers SET lease_until = $3::bigint + $4::bigint
  WHERE id IN (
    SELECT id FROM timers WHERE id = ANY($2::text[]) AND lease_owner = $1 AND lease_until >= $3::bigint
    FOR UPDATE SKIP LOCKED
  )
  RETURNING id`;

// A claimed timer becomes claimable again one ms after its lease runs out. ORDER BY … LIMIT 1
// rather than min(): with few leased rows in the statistics the planner would otherwise read
// every running handler's lease to find the earliest.
const NEXT_DUE = `
  SELECT least(
    (SELECT due FROM timers WHERE lease_owner IS NULL ORDER BY due LIMIT 1) - $1::bigint,
    (SELECT lease_until FROM timers WHERE lease_owner IS NOT NULL ORDER BY lease_until LIMIT 1) + 1
  ) AS at`;

// By primary key. `IS NOT DISTINCT FROM` (owners are never null) keeps the planner off the
// partial index of leases, which `lease_owner = …` would let it pick from statistics that saw
// few leased rows: it then reads every lease held to find one id.
const COMPLETE = 'DELETE FROM timers WHERE id = $1 AND revision = $3 AND lease_owner IS NOT DISTINCT FROM $2::text';
const COMPLETE_MANY = `
  DELETE FROM timers t USING unnest($1::text[], $2::text[], $3::bigint[]) AS c(id, owner, revision)
  WHERE t.id = c.id AND t.revision = c.revision AND t.lease_owner IS NOT DISTINCT FROM c.owner`;

/** Stores a timer, or replaces the one with its id (dropping any lease on it). Returns whether it notified. */
export async function scheduleTimer(db: Queryable, timer: TimerRecord): Promise<boolean> {
  const { rows } = await db.query<{ notified: string }>(SCHEDULE, [timer.id, timer.kind, timer.due, JSON.stringify(timer.payload)]);
  return Number(rows[0]?.notified) > 0;
}

export async function cancelTimer(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM timers WHERE id = $1', [id]);
  return (rowCount ?? 0) > 0;
}

/** Leases up to `limit` due timers that nobody holds (or whose lease ran out) to `owner`, in due order. */
export async function claimDue(db: Queryable, options: ClaimOptions): Promise<ClaimedTimer[]> {
  const { rows } = await db.query<TimerRow>(CLAIM, [options.owner, options.now, options.limit, options.leaseMs, options.dueBy ?? options.now]);
  return rows.map(toClaimed).sort((a, b) => a.due - b.due || (a.id < b.id ? -1 : 1));
}

/** Extends the leases `owner` still holds; returns the ids renewed (a lease already run out is lost; one being written now waits for the next renewal). */
export async function renewLeases(db: Queryable, options: RenewOptions): Promise<string[]> {
  if (options.ids.length === 0) return [];
  const { rows } = await db.query<{ id: string }>(RENEW, [options.owner, options.ids, options.now, options.leaseMs]);
  return rows.map((r) => r.id);
}

/**
 * Removes a fired timer — only the claim `owner` holds: not one another owner took over, nor one
 * rescheduled (same id, new revision) while its handler ran. Pass the handler's transaction as
 * `db` to commit its effects and the removal together. Returns whether it was removed.
 */
export async function completeTimer(db: Queryable, owner: string, timer: ClaimedTimer): Promise<boolean> {
  const { rowCount } = await db.query(COMPLETE, [timer.id, owner, timer.revision]);
  return (rowCount ?? 0) > 0;
}

/** `completeTimer` for many claims in one statement (each still removed only if it is that claim). Returns how many were removed. */
export async function completeTimers(db: Queryable, claims: ReadonlyArray<{ id: string; owner: string; revision: string }>): Promise<number> {
  if (claims.length === 0) return 0;
  const { rowCount } = await db.query(COMPLETE_MANY, [claims.map((c) => c.id), claims.map((c) => c.owner), claims.map((c) => c.revision)]);
  return rowCount ?? 0;
}

/** When (ms) the next timer becomes claimable: the earliest unclaimed due, or lease running out. */
export async function nextDue(db: Queryable, lookaheadMs = 0): Promise<number | undefined> {
  const { rows } = await db.query<{ at: string | null }>(NEXT_DUE, [lookaheadMs]);
  const at = rows[0]?.at;
  return at === null || at === undefined ? undefined : Number(at);
}

function toClaimed(row: TimerRow): ClaimedTimer {
  return {
    id: row.id,
    kind: row.kind,
    due: Number(row.due),
    payload: row.payload,
    owner: row.lease_owner,
    leaseUntil: Number(row.lease_until),
    revision: row.revision,
  };
}

/**
 * Durable timers shared by every instance on one database: claim → apply → complete, with leases.
 * Each call takes an optional `db` (a client inside a transaction) where it may be part of one.
 *
 * @example
 *   const leases = createTimerLeases(pool);
 *   const listener = leases.listen({ onWake: () => poll() }); await listener.ready;
 *   for (const t of await leases.claimDue({ owner, now: Date.now(), limit: 64, leaseMs: 30_000 })) {
 *     await handle(t); await leases.complete(owner, t);
 *   }
 */
export function createTimerLeases(pool: pg.Pool) {
  return {
    schedule: (timer: TimerRecord, db: Queryable = pool) => scheduleTimer(db, timer),
    cancel: (id: string, db: Queryable = pool) => cancelTimer(db, id),
    claimDue: (options: ClaimOptions) => claimDue(pool, options),
    renew: (options: RenewOptions) => renewLeases(pool, options),
    complete: (owner: string, timer: ClaimedTimer, db: Queryable = pool) => completeTimer(db, owner, timer),
    nextDue: (lookaheadMs = 0) => nextDue(pool, lookaheadMs),
    /** Wakes `onWake` on every NOTIFY of a sooner timer, from one dedicated connection that reconnects. */
    listen: (options: Omit<ListenOptions, 'client'>): TimerListener => listenForTimers({ ...options, client: pool.options }),
  };
}

export type TimerLeases = ReturnType<typeof createTimerLeases>;
