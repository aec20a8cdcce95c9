import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { migrateCommand } from '../../src/cli/migrate.js';
import { loadMigrations, migrate, schemaVersion, SchemaTooNewError } from '../../src/store/postgres/migrate.js';
import { createPool, DatabaseUnavailableError, openPool } from '../../src/store/postgres/pool.js';
import { createDatabase, freePort } from '../helpers/postgres.js';

// The migrations shipped in src/store/postgres/migrations (read once; tests below add their own).
const shipped = await loadMigrations();
const latest = shipped.length;

let db: Awaited<ReturnType<typeof createDatabase>>;
const pools: pg.Pool[] = [];

function pool(): pg.Pool {
  const p = createPool({ url: db.url, max: 2 });
  pools.push(p);
  return p;
}

beforeEach(async () => {
  db = await createDatabase(inject('postgresUrl'));
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.end()));
  await db.drop();
});

async function tables(p: pg.Pool): Promise<string[]> {
  const { rows } = await p.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
  return rows.map((r) => r.name);
}

describe('migrations', () => {
  it('bring an empty database to the newest version, and a second run is a no-op', async () => {
    const p = pool();
    expect(await schemaVersion(p)).toBe(0);

    const first = await migrate(p);
    expect(first).toMatchObject({ from: 0, to: latest });
    expect(first.applied[0]).toBe('001_initial');
    expect(await tables(p)).toEqual(['attempt_index', 'inbound', 'kv', 'messages', 'schema_migrations', 'timers']);
    expect(await schemaVersion(p)).toBe(latest);

    expect(await migrate(p)).toEqual({ from: latest, to: latest, applied: [] });
    const { rows } = await p.query('SELECT version, name FROM schema_migrations ORDER BY version');
    expect(rows).toHaveLength(latest);
  });

  it('two runners at once apply each migration exactly once', async () => {
    const [a, b] = [pool(), pool()];
    const results = await Promise.all([migrate(a), migrate(b)]);
    const applied = results.flatMap((r) => r.applied);
    expect(applied.sort()).toEqual((await loadMigrations()).map((m) => m.name).sort());
    expect(results.map((r) => r.to)).toEqual([latest, latest]);
    const { rows } = await a.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations');
    expect(Number(rows[0].n)).toBe(latest);
  });

  it('apply pending ones in order and roll back a failing one whole', async () => {
    const p = pool();
    const known = await loadMigrations();
    await migrate(p, known);
    const v = latest + 1;
    const broken = [...known, { version: v, name: `${v}_half`, sql: 'CREATE TABLE half (x int); SELECT no_such_function();' }];
    await expect(migrate(p, broken)).rejects.toThrow(/no_such_function/);
    expect(await schemaVersion(p)).toBe(latest);
    expect(await tables(p)).not.toContain('half');

    const next = [...known, { version: v, name: `${v}_extra`, sql: 'CREATE TABLE extra (x int)' }];
    expect(await migrate(p, next)).toEqual({ from: latest, to: v, applied: [`${v}_extra`] });
  });

  it('refuse a database migrated by a newer switchboard', async () => {
    const p = pool();
    await migrate(p);
    await p.query("INSERT INTO schema_migrations (version, name) VALUES (99, '099_future')");
    const err = await migrate(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaTooNewError);
    expect((err as Error).message).toMatch(new RegExp(`schema is at version 99, newer than this switchboard knows \\(${latest}\\)`));
  });

  it('v3 turns message bodies written before it into json, as they were, and compresses new ones with lz4', async () => {
    const p = pool();
    const known = await loadMigrations();
    await migrate(p, known.slice(0, 2));
    const body = { id: '01JF0000000000000000000000', status: 'delivered', history: [{ event: 'accepted', cause: 'x'.repeat(4000) }] };
    await p.query("INSERT INTO messages (id, created_at, status, route, body) VALUES ($1, now(), 'delivered', 'r', $2::jsonb)", [body.id, JSON.stringify(body)]);
    expect(await migrate(p)).toMatchObject({ from: 2, to: latest, applied: known.slice(2).map((m) => m.name) });
    const { rows } = await p.query<{ body: unknown; type: string }>('SELECT body, pg_typeof(body)::text AS type FROM messages');
    expect(rows).toEqual([{ body, type: 'json' }]);
    const { rows: column } = await p.query<{ compression: string }>("SELECT attcompression AS compression FROM pg_attribute WHERE attrelid = 'messages'::regclass AND attname = 'body'");
    // Debian's PostgreSQL is built with lz4 (a server without it keeps its default, 'pglz').
    expect(column[0].compression).toBe('l');
  });

  it('refuse migration files with a gap or a bad name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-mig-'));
    try {
      await writeFile(join(dir, '001_a.sql'), 'SELECT 1');
      await writeFile(join(dir, '003_c.sql'), 'SELECT 1');
      await expect(loadMigrations(dir)).rejects.toThrow(/003_c.sql: expected version 2/);
      await rm(join(dir, '003_c.sql'));
      await writeFile(join(dir, '2-b.sql'), 'SELECT 1');
      await expect(loadMigrations(dir)).rejects.toThrow(/2-b.sql is not named NNN_name.sql/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('pool', () => {
  it('an unreachable database or a wrong URL is one clear line, the password masked', async () => {
    const port = await freePort();
    const err = await openPool({ url: `postgres://sb:s3cret@127.0.0.1:${port}/x`, connectTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect((err as Error).message).toMatch(new RegExp(`^cannot connect to the database at postgres://sb:\\*\\*\\*@127.0.0.1:${port}/x: .*ECONNREFUSED`));
    expect((err as Error).message).not.toContain('s3cret');
    expect((err as Error).message).not.toContain('\n');

    expect(() => createPool({ url: 'mysql://localhost/x' })).toThrow(/must start with postgres:\/\/ or postgresql:\/\//);
    expect(() => createPool({ url: 'not a url' })).toThrow(/database URL is not a URL/);

    const missing = new URL(db.url);
    missing.pathname = '/no_such_db';
    await expect(openPool({ url: missing.toString() })).rejects.toThrow(/database "no_such_db" does not exist/);
  });

  it('a server dropping an idle connection is reported, not a crash, and the pool goes on', async () => {
    const errors: Error[] = [];
    const p = createPool({ url: db.url, max: 1, applicationName: 'sb-idle', onIdleError: (err) => errors.push(err) });
    pools.push(p);
    await p.query('SELECT 1');
    await pool().query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sb-idle'");
    await expect.poll(() => errors.length).toBe(1);
    expect((await p.query<{ n: number }>('SELECT 2 AS n')).rows).toEqual([{ n: 2 }]);
  });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'src', 'main.ts'), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += String(c)));
  child.stderr.on('data', (c: Buffer) => (stderr += String(c)));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('switchboard migrate', () => {
  it('exits 0 after migrating and 1 with one line when the database cannot be reached', async () => {
    const port = await freePort();
    const [first, down] = await Promise.all([cli(['migrate', '--url', db.url]), cli(['migrate', '--url', `postgres://127.0.0.1:${port}/x`])]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toBe(`migrated schema from version 0 to ${latest}: ${shipped.map((m) => m.name).join(', ')}\n`);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^switchboard migrate: cannot connect to the database at postgres:\/\/127.0.0.1:\d+\/x: .*ECONNREFUSED.*\n$/);
  });

  it('reads DATABASE_URL, says when the schema is current, and refuses a newer one or none', async () => {
    const run = async (url: string | undefined, env: Record<string, string> = {}) => {
      const io = { out: '', err: '' };
      const code = await migrateCommand({ url }, { env, out: (t) => (io.out += t), err: (t) => (io.err += t) });
      return { code, out: io.out, err: io.err };
    };
    expect(await run(undefined)).toEqual({ code: 1, out: '', err: 'switchboard migrate: no database; pass --url postgres://… or set DATABASE_URL\n' });
    expect(await run(undefined, { DATABASE_URL: db.url })).toMatchObject({ code: 0, err: '' });
    expect(await run(undefined, { DATABASE_URL: db.url })).toEqual({ code: 0, out: `schema is up to date at version ${latest}\n`, err: '' });

    await pool().query("INSERT INTO schema_migrations (version, name) VALUES ($1, 'future')", [latest + 1]);
    const newer = await run(db.url);
    expect(newer.code).toBe(1);
    expect(newer.err).toMatch(new RegExp(`^switchboard migrate: the database schema is at version ${latest + 1}, newer than this switchboard knows \\(${latest}\\)`));
  });
});
