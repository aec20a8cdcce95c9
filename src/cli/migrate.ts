import { StartupError } from '../errors.js';

export interface MigrateIo {
  env: Readonly<Record<string, string | undefined>>;
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * `switchboard migrate [--url URL]`: applies the pending PostgreSQL migrations (URL from `--url`
 * or `DATABASE_URL`) and nothing else, then returns the exit code: 0 when the schema is current,
 * 1 with one line on stderr when the database cannot be reached or refuses (newer schema, SQL error).
 *
 * @example process.exitCode = await migrateCommand({ url: 'postgres://localhost/switchboard' }, io);
 */
export async function migrateCommand(options: { url?: string }, io: MigrateIo): Promise<number> {
  const url = options.url ?? io.env.DATABASE_URL;
  if (!url) {
    io.err('switchboard migrate: no database; pass --url postgres://… or set DATABASE_URL\n');
    return 1;
  }
  // Loaded here, not with the command line: every start of a file-store gateway would pay for it.
  const [{ migrate }, { describeError, openPool }] = await Promise.all([import('../store/postgres/migrate.js'), import('../store/postgres/pool.js')]);
  let pool;
  try {
    pool = await openPool({ url, max: 1 });
    const { from, to, applied } = await migrate(pool);
    io.out(applied.length === 0 ? `schema is up to date at version ${to}\n` : `migrated schema from version ${from} to ${to}: ${applied.join(', ')}\n`);
    return 0;
  } catch (err) {
    const message = err instanceof StartupError ? err.message : `migration failed: ${describeError(err)}`;
    io.err(`switchboard migrate: ${message}\n`);
    return 1;
  } finally {
    await pool?.end().catch(() => undefined);
  }
}
