import { StartupError } from '../../errors.js';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, writeFully } from './safe-write.js';

/** Another live process holds the store folder. */
export class StoreLockedError extends StartupError {
  readonly pid: number;

  constructor(dir: string, pid: number) {
    super(`store ${dir} is in use by pid ${pid} (another switchboard?)`);
    this.name = 'StoreLockedError';
    this.pid = pid;
  }
}

interface LockBody {
  pid: number;
  startedAt: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(path: string): Promise<LockBody | undefined> {
  try {
    const body = JSON.parse(await readFile(path, 'utf8')) as Partial<LockBody>;
    return Number.isInteger(body.pid) && (body.pid as number) > 0 ? (body as LockBody) : undefined;
  } catch {
    return undefined; // gone, or torn by a crash while it was written: nobody holds it
  }
}

/**
 * Takes the store folder for this process: `LOCK` is created exclusively with `{pid, startedAt}`.
 * A lock whose pid is alive refuses; one left by a dead process is taken over. Two daemons on one
 * folder would each serve (and overwrite) their own stale copy of the state.
 *
 * @example
 *   const lock = await lockFolder('./data'); … await lock.release();
 */
export async function lockFolder(dir: string): Promise<{ release(): Promise<void> }> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'LOCK');
  const body: LockBody = { pid: process.pid, startedAt: new Date().toISOString() };
  // Written aside and linked into place, so a reader never sees a LOCK without its holder.
  const tmp = join(dir, `.LOCK.${process.pid}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await writeFully(fh, Buffer.from(JSON.stringify(body)), 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    return await takeLock(dir, path, tmp, body);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function takeLock(dir: string, path: string, tmp: string, body: LockBody): Promise<{ release(): Promise<void> }> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      await link(tmp, path);
      await fsyncDir(dir);
      return {
        async release() {
          // Only our own lock: a later holder's (after a takeover) is not ours to remove.
          const holder = await readHolder(path);
          if (holder?.pid === body.pid && holder.startedAt === body.startedAt) await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readHolder(path);
    if (holder && isAlive(holder.pid)) throw new StoreLockedError(dir, holder.pid);
    await unlink(path).catch(() => undefined);
  }
  throw new Error(`store ${dir}: could not take its LOCK file (other processes keep taking it)`);
}
