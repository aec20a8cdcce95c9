import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { StartupError } from '../../errors.js';
import { fromPackage } from '../../package-root.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface MigrateResult {
  /** Schema version before and after. */
  from: number;
  to: number;
  /** `NNN_name` of each migration this call applied, in order (empty when up to date). */
  applied: string[];
}

/** The database was migrated by a newer Switchboard than this one: refuse to touch it. */
export class SchemaTooNewError extends StartupError {
  constructor(readonly found: number, readonly known: number) {
    super(`the database schema is at version ${found}, newer than this switchboard knows (${known}); run a switchboard at least as new as the one that migrated it`);
    this.name = 'SchemaTooNewError';
  }
}

/** Every runner, in every instance, serializes on this one lock (held until its transaction ends). */
const LOCK_KEY = 0x5357_4244_4d49_47n; // "SWBDMIG"

const FILE_NAME = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/**
 * The folder of `NNN_name.sql` files. Neither `tsc` nor the bundle copies them to `dist/`, so every
 * build reads them from the source tree.
 */
export function migrationsDir(): string {
  return fromPackage('src', 'store', 'postgres', 'migrations');
}

/**
 * The migrations in `dir`, in version order; versions must run 1, 2, 3… without gaps or twins.
 *
 * @example const migrations = await loadMigrations(); // [{ version: 1, name: '001_initial', sql }]
 */
export async function loadMigrations(dir: string = migrationsDir()): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_NAME.exec(file);
    if (!match) throw new Error(`migration file ${file} is not named NNN_name.sql`);
    const version = Number(match[1]);
    if (version !== migrations.length + 1) throw new Error(`migration ${file}: expected version ${migrations.length + 1}`);
    migrations.push({ version, name: file.slice(0, -'.sql'.length), sql: await readFile(join(dir, file), 'utf8') });
  }
  return migrations;
}

/**
 * Brings the schema up to the newest migration: all pending ones in one transaction under a
 * transaction-level advisory lock, so two instances starting at once apply each migration once
 * (the second waits, then finds nothing to do). A failed migration leaves the schema as it was.
 * A schema newer than `migrations` is refused with a `SchemaTooNewError`.
 *
 * @example const { from, to } = await migrate(pool);
 */
export async function migrate(pool: pg.Pool, migrations?: Migration[]): Promise<MigrateResult> {
  const known = migrations ?? (await loadMigrations());
  const latest = known.length;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await migrateLocked(client, known, latest);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

async function migrateLocked(client: pg.PoolClient, known: Migration[], latest: number): Promise<MigrateResult> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY.toString()]);
  const from = await currentVersion(client);
  if (from > latest) throw new SchemaTooNewError(from, latest);
  const applied: string[] = [];
  for (const migration of known.slice(from)) {
    await client.query(migration.sql);
    await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
    applied.push(migration.name);
  }
  return { from, to: Math.max(from, latest), applied };
}

/** The version the database is at (0 for an empty one); creates the bookkeeping table if missing. */
async function currentVersion(client: pg.PoolClient): Promise<number> {
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
  return rows[0]?.version ?? 0;
}

/** The schema version of the database behind `pool` without changing anything (0 if never migrated). */
export async function schemaVersion(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ exists: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS exists");
  if (!rows[0]?.exists) return 0;
  const { rows: v } = await pool.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
  return v[0]?.version ?? 0;
}
