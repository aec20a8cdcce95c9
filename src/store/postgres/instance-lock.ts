import pg from 'pg';
import { StartupError } from '../../errors.js';
import { describeError, maskUrl } from './pool.js';

/** Another gateway already runs on this database. */
export class DatabaseInUseError extends StartupError {
  constructor(url: string) {
    super(
      `another switchboard instance is already running on the database at ${maskUrl(url)}; ` +
        'several instances sharing one database are not supported yet (stop the other one, or give this one its own database)',
    );
    this.name = 'DatabaseInUseError';
  }
}

// One key for every instance of every version: "SWBDINS". Distinct from the migration lock.
const LOCK_KEY = 0x5357_4244_494e_53n;

export interface InstanceLock {
  release(): Promise<void>;
}

/**
 * Takes the database for this instance: a session-level advisory lock, held by one dedicated
 * connection until `release()`. The engine still keeps its hot state in memory and serializes
 * work on a message with an in-process lock, so a second instance on the same database would
 * overwrite the first one's state; it is refused at start instead (`DatabaseInUseError`).
 * (If the server restarts, the session and its lock go with it; the lock is not taken back.)
 *
 * @example const lock = await lockDatabase(url); …; await lock.release();
 */
export async function lockDatabase(url: string, onError: (err: Error) => void = () => undefined): Promise<InstanceLock> {
  const client = new pg.Client({ connectionString: url, application_name: 'switchboard-instance-lock' });
  // A lost connection emits `error`; unheard, it would end the process.
  client.on('error', onError);
  try {
    await client.connect();
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [LOCK_KEY.toString()]);
    if (!rows[0]?.locked) throw new DatabaseInUseError(url);
  } catch (err) {
    await client.end().catch(() => undefined);
    if (err instanceof StartupError) throw err;
    throw new StartupError(`cannot lock the database at ${maskUrl(url)}: ${describeError(err)}`);
  }
  return {
    async release() {
      // Ending the session releases the lock; an unlock first would only add a round trip.
      await client.end().catch(() => undefined);
    },
  };
}
