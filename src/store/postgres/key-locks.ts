import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import { StoreUnavailableError } from '../../errors.js';

// Prepared once per session (named statements): sent as text, each hold's statements were parsed
// and planned again. `switchboard_hold` (migration 004) lets go of the key the session owes,
// takes the new one, and then, in a snapshot of its own, reads the message row it guards.
const HOLD = { name: 'switchboard_hold', text: 'SELECT switchboard_hold($1, $2, $3) AS body' };
const UNLOCK = { name: 'switchboard_unlock', text: 'SELECT pg_advisory_unlock(hashtextextended($1, 0))' };
const unlock = (client: pg.PoolClient, key: string) => client.query({ ...UNLOCK, values: [key] });
// Beyond this a holder whose commits keep failing gives up: its changes are taken back.
const SETTLE_FOR_MS = 60_000;

/**
 * `Store.exclusive` across instances: a session-level advisory lock per key, taken on a pool of
 * its own so lock holders never wait for a connection that commits need (their work reads and
 * commits through the main pool). Nested holds inside `fn` run on the same session. Before a key
 * is let go, `settle` commits what `fn` changed, so the next holder reads it.
 *
 * A holder that dies ends its session and PostgreSQL lets the key go. A session the server loses
 * (a restart) loses its locks with it: the work that held them commits nothing more, and what it
 * changed but did not commit is taken back from the queues and its caller fails — the next holder,
 * at any instance, reads the table without those changes, so they must never land after it.
 *
 * The store reports every change it queues (`changed`) and commits through `commit`, so a hold
 * knows whether its holder left anything uncommitted: most commit their own changes last, and then
 * letting go costs no second commit.
 *
 * A key `<messagePrefix><id>` guards message `id`, which its holder reads first: the lock call
 * reads the row too, once the lock is granted, and the holder's first read is answered from it.
 *
 * @example const locks = createKeyLocks(lockPool, () => gc.commit(), () => closing, 'message:'); await locks.exclusive(key, fn);
 */
export function createKeyLocks(lockPool: pg.Pool, settle: () => Promise<void>, closing: () => boolean, messagePrefix?: string) {
  const scope = new AsyncLocalStorage<Hold>();
  // Sessions whose unlock failed may still hold a key: they are closed, never reused.
  const broken = new WeakSet<pg.PoolClient>();
  // The key a session let go owes while a holder waits for it: unlocked by that holder's lock call,
  // in the same round trip, before its own lock. Under load every hold would otherwise spend a
  // round trip of its own on the unlock, and a session longer off the pool.
  const owed = new WeakMap<pg.PoolClient, string>();

  /** The key `client` owes an unlock of, if any, now its caller's to let go first. */
  function takeOwed(client: pg.PoolClient): string | null {
    const key = owed.get(client);
    owed.delete(client);
    return key ?? null;
  }

  async function hold<T>(held: Hold, key: string, fn: () => Promise<T>, outermost = false): Promise<T> {
    const { client } = held;
    const id = messagePrefix !== undefined && key.startsWith(messagePrefix) ? key.slice(messagePrefix.length) : undefined;
    try {
      const { rows } = await client.query<{ body: unknown }>({ ...HOLD, values: [takeOwed(client), key, id ?? null] });
      if (id !== undefined) held.read.set(id, { body: rows[0]?.body ?? undefined });
    } catch (err) {
      broken.add(client);
      throw new StoreUnavailableError(err);
    }
    let settled = true;
    try {
      return await fn();
    } finally {
      if (id !== undefined) held.read.delete(id);
      if (held.committed < held.changes) settled = await settleBeforeRelease(held);
      if (!settled) takeBack(held);
      // A holder waits for a session: this one goes to it, and it sends the unlock.
      if (outermost && settled && lockPool.waitingCount > 0 && !broken.has(client)) owed.set(client, key);
      else await unlock(client, key).catch(() => broken.add(client));
      // Thrown here, after the unlock, and over what `fn` answered: its changes are gone.
      if (!settled) throw new StoreUnavailableError(new Error(`the changes made holding ${key} could not be committed`));
    }
  }

  /**
   * What the holder changed is committed before the key is let go, even when the holder failed
   * because its own commit failed: a failed commit is tried again (the database busy or away for
   * a moment) for as long as this session holds the key. False when that cannot be: the server
   * dropped the session (a restart: the key is free already), the store is closing, or a minute
   * passed.
   */
  async function settleBeforeRelease(held: Hold): Promise<boolean> {
    const started = performance.now();
    for (;;) {
      // Committed without the key, the changes could land over a newer holder's at another instance.
      if (broken.has(held.client)) return false;
      try {
        await commitHeld(held);
        return true;
      } catch {
        if (closing() || performance.now() - started > SETTLE_FOR_MS) return false;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /**
   * A hold that ends with changes it cannot commit takes them back from the queues (those no later
   * change replaced), and its caller fails, as if this process had died there: written later by
   * some other commit, they would overwrite what the key's next holder — at any instance — wrote
   * in between, reading the table without them.
   */
  function takeBack(held: Hold): void {
    for (const undo of held.undos.splice(0).reverse()) undo();
    held.committed = held.changes;
  }

  /** Commits; once it succeeds, the changes made so far in `held` (if any) are in. */
  async function commitHeld(held: Hold | undefined): Promise<void> {
    // Nothing of the holder's is uncommitted: waiting for a group commit would only keep the
    // lock session (one of a few) busy for nothing.
    if (held && held.changes === held.committed) return;
    const upTo = held?.changes ?? 0;
    // From now on a commit (this one, or another caller's running meanwhile) may write them.
    if (held) held.released = Math.max(held.released, upTo);
    await settle();
    if (!held || upTo <= held.committed) return;
    held.undos.splice(0, upTo - held.committed);
    held.committed = upTo;
  }

  /** Sends what an idle session owes. A session that cannot take it is lost, and its locks with it. */
  async function sendOwed(client: pg.PoolClient): Promise<void> {
    const key = takeOwed(client);
    if (key !== null) await unlock(client, key).catch(() => undefined);
  }

  async function exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const outer = scope.getStore();
    if (outer) return hold(outer, key, fn);
    let client: pg.PoolClient;
    try {
      client = await lockPool.connect();
    } catch (err) {
      throw new StoreUnavailableError(err);
    }
    // A client whose server goes away emits `error` on itself; unheard it would end the process.
    const onError = () => broken.add(client);
    client.on('error', onError);
    try {
      const held: Hold = { client, changes: 0, committed: 0, released: 0, undos: [], read: new Map(), put: new Map() };
      return await scope.run(held, () => hold(held, key, fn, true));
    } finally {
      client.off('error', onError);
      client.release(broken.has(client) ? new Error('lock session lost') : undefined);
      // Nobody took it after all (the waiter got a new session): the unlock goes on its own.
      if (owed.has(client)) setImmediate(() => void sendOwed(client));
    }
  }

  return {
    exclusive,
    /**
     * A change was queued (counted against the hold it was made in, if any, with how to take it
     * back). Made in a hold, it returns whether a commit may write it yet: only once its holder
     * commits. Another caller's commit, running while the holder awaits a read, must not write
     * half of its work — a step's timer deleted without the message that ends the step — which a
     * crash, or a hold that then fails and takes the rest back, would leave for good.
     */
    changed(undo: () => void = () => undefined): (() => boolean) | undefined {
      const held = scope.getStore();
      if (!held) return undefined;
      held.changes += 1;
      held.undos.push(undo);
      const nth = held.changes;
      return () => held.released >= nth;
    },
    /**
     * The row read with the caller's lock on `<prefix><id>`, once: `{body}` (undefined body: no
     * such row), or undefined when there is none to use (read already, or changed since).
     */
    takeRead(id: string): { body: unknown } | undefined {
      const read = scope.getStore()?.read;
      const got = read?.get(id);
      read?.delete(id);
      return got;
    },
    /** The caller changed the row of `id`: what its lock read is out of date (and, `discarded`, what it put). */
    forgetRead(id: string, discarded = false): void {
      const held = scope.getStore();
      held?.read.delete(id);
      if (discarded) held?.put.delete(id);
    },
    /**
     * Whether `json` is what the caller's hold already put for `id` (so putting it again changes
     * nothing), and else notes it as the hold's latest put. Outside a hold: always false. Only a
     * holder may judge this: nobody else writes the row while it holds the key.
     */
    putAgain(id: string, json: string): boolean {
      const put = scope.getStore()?.put;
      if (!put) return false;
      if (put.get(id) === json) return true;
      put.set(id, json);
      return false;
    },
    /**
     * Commits; once it succeeds, the changes made so far in the caller's hold are in. A hold whose
     * session the server dropped commits nothing more: its key may be another holder's by now.
     */
    async commit(): Promise<void> {
      const held = scope.getStore();
      if (held && broken.has(held.client)) throw new StoreUnavailableError(new Error('the lock session was lost'));
      await commitHeld(held);
    },
  };
}

/** One session's hold on its keys, and how many of the changes made under it are committed. */
interface Hold {
  client: pg.PoolClient;
  changes: number;
  committed: number;
  /** How many of `changes` a commit may write: those made before the holder's last commit began. */
  released: number;
  /** How to take back each change not yet committed, oldest first (`changes - committed` of them). */
  undos: Array<() => void>;
  /** Message rows read with a lock (`messagePrefix`), by id, not yet used. */
  read: Map<string, { body: unknown }>;
  /** The latest record put in this hold, by id, as serialized. */
  put: Map<string, string>;
}
