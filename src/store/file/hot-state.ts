import { mkdir } from 'node:fs/promises';
import type { Low } from 'lowdb';
import { packTimer, revivePackedTimer, reviveTimer } from '../timer-record.js';
import { AppendFile } from './append-file.js';
import { CommittedView } from './committed-view.js';
import { DeferredEntries } from './deferred-entries.js';
import type { CommitEnd, CommitPoint, Staged } from './group-commit.js';
import { commitLine, JOURNAL_HEADER, journalGenerations, journalPath, removeJournalsBefore, replayJournal, type JournalOp, type VerifyCommit } from './journal.js';
import { openSnapshot, type Snapshot, type SnapshotFile } from './snapshot.js';
import type { CollectionReader } from './snapshot-lines.js';

// A journal this much bigger than the snapshot it continues is folded into a new snapshot.
const MIN_COMPACT_BYTES = 8 * 1024 * 1024;

// How a value read back from disk is kept in memory, for the collections that have a compact shape.
const REVIVE: Record<string, (key: string, value: unknown) => unknown> = { timers: reviveTimer };
const asRead = (_key: string, value: unknown) => value;
const reviverOf = (name: string) => (Object.hasOwn(REVIVE, name) ? REVIVE[name] : asRead);
// …and, for the snapshot reader, `{kind, due}` values it took apart without building the object.
const readerOf = (deferred: ReadonlySet<string>) => (name: string): CollectionReader =>
  name === 'timers' ? { revive: reviveTimer, packed: revivePackedTimer } : { revive: reviverOf(name), deferred: deferred.has(name) };
// How long after the open a deferred collection begins to be parsed in the background: past the
// rest of a start, which it would otherwise slow down.
const DEFERRED_FILL_AFTER_MS = 500;
// …and how it is written: the shape `REVIVE` reads back, as small as it can be.
const PACK: Record<string, (key: string, value: unknown) => unknown> = { timers: packTimer };
const packerOf = (name: string) => (Object.hasOwn(PACK, name) ? PACK[name] : asRead);

interface Hooks {
  onWrite: () => void;
  touch: () => void;
  /** Collections a start need not read before it is ready (deferred-entries.ts). */
  deferred?: readonly string[];
  /** Whether the appends the newest marker names are on disk whole (they were written beside it). */
  verify?: VerifyCommit;
}

/**
 * The hot state: named maps kept wholly in memory, made durable by appending each change to a
 * journal (one durable write per group commit) and, now and then, folding the journal into a lowdb
 * snapshot (`state.json`, written atomically). A commit costs what changed, not what is stored.
 *
 * @example
 *   const hot = await HotState.open('./data', ['timers'], { onWrite, touch });
 *   hot.set('timers', 't1', { due: 5 }); await hot.flush();
 */
export class HotState implements CommitPoint {
  readonly maps: Record<string, Map<string, unknown>>;
  /** Where each segment's committed bytes end (`messages/2026-11-28/20` → bytes): more is cut at open. */
  readonly segmentEnds = new Map<string, number>();
  /** Whether commits end in markers; a folder written before markers is converted by `adopt`. */
  #marked = false;
  readonly #dir: string;
  readonly #snapshot: Low<Snapshot>;
  readonly #hooks: Hooks;
  #generation: number;
  #journal!: AppendFile;
  #snapshotBytes = 0;
  // Journal size past which the next flush folds; raised after a failed fold, so a full disk is
  // not asked for a whole snapshot at every commit.
  #compactAt = MIN_COMPACT_BYTES;
  // Serialized changes not yet in the journal; a failed write keeps them for the next flush.
  #ops: string[] = [];
  // From the commit point of a commit that is to start a fold until that fold's snapshot is
  // written: the state as of that point, which the fold writes while later commits go on.
  #view: CommittedView | undefined;
  // The snapshot being written in the background (one at a time).
  #folding: Promise<void> | undefined;

  private constructor(dir: string, snapshot: Low<Snapshot>, names: readonly string[], hooks: Hooks) {
    this.#dir = dir;
    this.#snapshot = snapshot;
    this.#hooks = hooks;
    this.#generation = snapshot.data.generation ?? 0;
    this.maps = Object.fromEntries(names.map((n) => [n, new Map<string, unknown>()]));
  }

  static async open(dir: string, names: readonly string[], hooks: Hooks): Promise<HotState> {
    await mkdir(dir, { recursive: true });
    const snapshot = await openSnapshot(dir, hooks.onWrite, packerOf, readerOf(new Set(hooks.deferred)));
    const state = new HotState(dir, snapshot, names, hooks);
    for (const [k, end] of Object.entries(snapshot.data.segmentEnds ?? {})) state.segmentEnds.set(k, end);
    state.#marked = snapshot.data.segmentEnds !== undefined;
    // The reader built the maps with the values revived: they become the state as they are.
    for (const [name, records] of Object.entries(snapshot.data.collections)) {
      if (Object.hasOwn(state.maps, name) && records instanceof Map) state.maps[name] = records;
      if (records instanceof DeferredEntries) records.fillInBackground(DEFERRED_FILL_AFTER_MS);
    }
    // The maps hold it all now; the document would only keep them twice.
    snapshot.data = { generation: snapshot.data.generation ?? 0, collections: {} };
    const base = state.#generation;
    await removeJournalsBefore(dir, base);
    const generations = (await journalGenerations(dir)).filter((g) => g >= base);
    state.#generation = Math.max(base, ...generations);
    for (const g of new Set([...generations, state.#generation])) {
      const { file, marked } = await replayJournal(dir, g, (op) => state.#apply(op), (ends) => {
        for (const [k, end] of Object.entries(ends)) state.segmentEnds.set(k, end);
      }, g === state.#generation ? hooks.verify : undefined);
      if (g !== state.#generation) {
        await file.close();
        continue;
      }
      state.#journal = file;
      if (file.size === 0) {
        await file.append(Buffer.from(`${JOURNAL_HEADER}\n`));
        state.#marked = true;
      } else if (marked) {
        state.#marked = true;
      } else {
        // A journal from before markers: its lines stand alone; `adopt` starts a marked generation.
        state.#marked = false;
      }
    }
    return state;
  }

  /** False for a folder written before commit markers, until `adopt` converted it. */
  get marked(): boolean {
    return this.#marked;
  }

  /**
   * Converts a folder written before commit markers: its segments as they are now count as
   * committed, and a snapshot plus a new marked journal generation carry on from here. It runs at
   * open, before any change: the live maps are what is committed, and the fold is waited for.
   */
  async adopt(ends: readonly CommitEnd[]): Promise<void> {
    for (const [k, end] of ends) this.segmentEnds.set(k, end);
    const generation = (await this.#switchJournal(true))!;
    await this.#writeSnapshot(generation, { ...this.maps }, true);
  }

  #apply(op: JournalOp): void {
    const map = this.maps[op[0]];
    if (!map) return;
    if (op.length === 3) map.set(op[1], reviverOf(op[0])(op[1], op[2]));
    else map.delete(op[1]);
  }

  set(name: string, key: string, value: unknown): void {
    const op = JSON.stringify([name, key, packerOf(name)(key, value)]);
    this.#view?.before(name, key, this.maps[name]);
    this.maps[name].set(key, value);
    this.#ops.push(op);
    this.#hooks.touch();
  }

  delete(name: string, key: string): void {
    this.#view?.before(name, key, this.maps[name]);
    if (!this.maps[name].delete(key)) return;
    this.#ops.push(JSON.stringify([name, key]));
    this.#hooks.touch();
  }

  /** Re-journals a value that was changed in place (the map already holds it). */
  rewrite(name: string, key: string): void {
    const value = this.maps[name].get(key);
    if (value !== undefined) this.set(name, key, value);
  }

  flush(): Promise<Staged> {
    return this.beginCommit()([]);
  }

  /**
   * The commit point: takes the changes queued now and returns the writer of the commit record —
   * those changes, then a marker naming where the segments written in this commit end. Until the
   * marker is on disk none of it counts.
   */
  beginCommit(): (ends: readonly CommitEnd[]) => Promise<Staged> {
    const n = this.#ops.length;
    const ops = n > 0 ? `${this.#ops.slice(0, n).join('\n')}\n` : '';
    // A commit that takes the journal past its bound starts a fold of the state as of this point
    // (a view left by a commit that failed is dropped here).
    let view: CommittedView | undefined;
    if (!this.#folding) {
      const due = this.#journal.size + ops.length > Math.max(this.#compactAt, 2 * this.#snapshotBytes);
      this.#view = view = due ? new CommittedView() : undefined;
    }
    return async (ends) => {
      const staged = await this.#journal.stage(Buffer.from(this.#marked ? `${ops}${commitLine(ends)}\n` : ops, 'utf8'));
      this.#hooks.onWrite();
      return {
        apply: async () => {
          staged.confirm();
          // Only what was written leaves the queue; changes made meanwhile go with the next commit.
          this.#ops.splice(0, n);
          for (const [k, end] of ends) this.segmentEnds.set(k, end);
          if (view) await this.#startFold(view);
        },
        undo: () => staged.undo(),
      };
    };
  }

  /**
   * Switches to a new journal (before the next commit writes, so every change after this commit
   * lands in it), then writes the snapshot of the state as of this commit in the background: the
   * commits that follow do not wait for it (a 24 MB fold held them, and every timer due meanwhile,
   * for a quarter of a second).
   */
  async #startFold(view: CommittedView): Promise<void> {
    const generation = await this.#switchJournal();
    if (generation === undefined) {
      this.#view = undefined;
      return;
    }
    const collections = Object.fromEntries(Object.entries(this.maps).map(([name, map]) => [name, view.entries(name, map)]));
    this.#folding = this.#writeSnapshot(generation, collections).finally(() => {
      this.#view = undefined;
      this.#folding = undefined;
    });
  }

  /** Resolves once no fold is writing (for a close, and for tests that read `state.json`). */
  async settled(): Promise<void> {
    await this.#folding;
  }

  /** Opens the next journal generation and makes it the one commits go to; undefined if it cannot. */
  async #switchJournal(mustSucceed = false): Promise<number | undefined> {
    const generation = this.#generation + 1;
    let next: AppendFile;
    try {
      next = await AppendFile.open(journalPath(this.#dir, generation));
      await next.append(Buffer.from(`${JOURNAL_HEADER}\n`));
    } catch (err) {
      if (mustSucceed) throw err;
      this.#compactAt = this.#journal.size + MIN_COMPACT_BYTES;
      return undefined;
    }
    const previous = this.#journal;
    this.#journal = next;
    this.#generation = generation;
    await previous.close();
    this.#marked = true;
    return generation;
  }

  /**
   * Writes `collections` as the snapshot the journal `generation` continues, then drops the older
   * journals. A crash at any point replays to the same state: the older journals stay until the
   * snapshot is durable, and journal operations are idempotent. A failed fold fails no commit (its
   * changes are in the journals); the next commit past the bound tries again.
   */
  async #writeSnapshot(generation: number, collections: Snapshot['collections'], mustSucceed = false): Promise<void> {
    this.#snapshot.data = { generation, collections, segmentEnds: Object.fromEntries(this.segmentEnds) };
    try {
      await this.#snapshot.write();
    } catch (err) {
      if (mustSucceed) throw err;
      // The previous journal stays and is replayed before this one, so nothing is lost.
      this.#compactAt = MIN_COMPACT_BYTES;
      return;
    } finally {
      this.#snapshot.data = { generation, collections: {} };
    }
    this.#compactAt = MIN_COMPACT_BYTES;
    this.#snapshotBytes = (this.#snapshot.adapter as SnapshotFile).lastLength;
    await removeJournalsBefore(this.#dir, generation);
  }

  async close(): Promise<void> {
    await this.#folding;
    await this.#journal.close();
  }
}
