import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { DurableJSONFile, fsyncDir } from './durable-file.js';
import type { Flushable } from './group-commit.js';

interface Snapshot {
  /** The journal generation that continues this snapshot. */
  generation: number;
  /** Plain objects when read; the live maps when written (serialized a slice at a time). */
  collections: Record<string, Record<string, unknown> | Map<string, unknown>>;
}

// Entries serialized between two writes; each write yields the event loop.
const SLICE = 2000;

/**
 * The lowdb adapter for `state.json`: the durable temp-write-fsync-rename of DurableJSONFile, but
 * serializing the maps a slice at a time so a large snapshot never stalls the event loop.
 * Entries may change between slices; the snapshot is fuzzy on purpose: every change after the
 * journal switch is also in the new journal, and replaying it over the snapshot converges.
 */
class SnapshotFile extends DurableJSONFile<Snapshot> {
  protected override async writeBody(fh: FileHandle, data: Snapshot): Promise<number> {
    let length = 0;
    const put = async (text: string) => {
      length += text.length;
      await fh.write(text);
    };
    await put(`{"generation":${data.generation},"collections":{`);
    let firstCollection = true;
    for (const [name, records] of Object.entries(data.collections)) {
      await put(`${firstCollection ? '' : ','}${JSON.stringify(name)}:{`);
      firstCollection = false;
      let parts: string[] = [];
      let first = true;
      for (const [k, v] of records instanceof Map ? records : Object.entries(records)) {
        parts.push(`${first ? '' : ','}${JSON.stringify(k)}:${JSON.stringify(v)}`);
        first = false;
        if (parts.length >= SLICE) {
          await put(parts.join(''));
          parts = [];
        }
      }
      await put(`${parts.join('')}}`);
    }
    await put('}}');
    return length;
  }
}

// A journal this much bigger than the snapshot it continues is folded into a new snapshot.
const MIN_COMPACT_BYTES = 8 * 1024 * 1024;

const journalName = (generation: number) => `state.journal.${generation}`;

/**
 * The hot state: named maps kept wholly in memory, made durable by appending each change to a
 * journal (one fsync per group commit) and, now and then, folding journal into a lowdb snapshot
 * (`state.json`, written atomically). A commit costs what changed, not what is stored.
 *
 * @example
 *   const hot = await openHotState('./data', ['timers']);
 *   hot.set('timers', 't1', { due: 5 }); await hot.flush();
 */
export class HotState implements Flushable {
  readonly maps: Record<string, Map<string, unknown>>;
  #dir: string;
  #snapshot: Low<Snapshot>;
  #generation: number;
  #journal: FileHandle;
  #journalBytes = 0;
  #snapshotBytes = 0;
  #ops: string[] = [];
  #onWrite: () => void;
  #touch: () => void;

  private constructor(dir: string, snapshot: Low<Snapshot>, generation: number, journal: FileHandle, names: readonly string[], hooks: { onWrite: () => void; touch: () => void }) {
    this.#dir = dir;
    this.#snapshot = snapshot;
    this.#generation = generation;
    this.#journal = journal;
    this.#onWrite = hooks.onWrite;
    this.#touch = hooks.touch;
    this.maps = Object.fromEntries(names.map((n) => [n, new Map<string, unknown>()]));
  }

  static async open(dir: string, names: readonly string[], hooks: { onWrite: () => void; touch: () => void }): Promise<HotState> {
    await mkdir(dir, { recursive: true });
    const snapshot = new Low<Snapshot>(new SnapshotFile(join(dir, 'state.json'), hooks.onWrite), { generation: 0, collections: {} });
    await snapshot.read();
    const base = snapshot.data.generation ?? 0;
    const journals = (await readdir(dir).catch(() => [] as string[]))
      .map((f) => /^state\.journal\.(\d+)$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const generation = Math.max(base, ...journals);
    const journal = await open(join(dir, journalName(generation)), 'a');
    await fsyncDir(dir);
    const state = new HotState(dir, snapshot, generation, journal, names, hooks);
    for (const [name, records] of Object.entries(snapshot.data.collections ?? {})) {
      const map = state.maps[name];
      if (map) for (const [k, v] of Object.entries(records as Record<string, unknown>)) map.set(k, v);
    }
    for (const g of journals) {
      const path = join(dir, journalName(g));
      if (g < base) {
        await unlink(path);
        continue;
      }
      const text = await readFile(path, 'utf8');
      if (g === generation) state.#journalBytes = Buffer.byteLength(text);
      for (const line of text.split('\n')) state.#replay(line);
    }
    return state;
  }

  #replay(line: string): void {
    if (!line) return;
    let op: [string, string, unknown?];
    try {
      op = JSON.parse(line) as [string, string, unknown?];
    } catch {
      return; // a line torn by a crash mid-append was never acknowledged
    }
    const map = this.maps[op[0]];
    if (!map) return;
    if (op.length === 3) map.set(op[1], op[2]);
    else map.delete(op[1]);
  }

  set(name: string, key: string, value: unknown): void {
    this.maps[name].set(key, value);
    this.#ops.push(JSON.stringify([name, key, value]));
    this.#touch();
  }

  delete(name: string, key: string): void {
    if (!this.maps[name].delete(key)) return;
    this.#ops.push(JSON.stringify([name, key]));
    this.#touch();
  }

  /** Re-journals a value that was changed in place (the map already holds it). */
  rewrite(name: string, key: string): void {
    const value = this.maps[name].get(key);
    if (value !== undefined) this.set(name, key, value);
  }

  async flush(): Promise<void> {
    if (this.#ops.length === 0) return;
    const text = `${this.#ops.join('\n')}\n`;
    this.#ops = [];
    await this.#journal.write(text);
    await this.#journal.datasync();
    this.#journalBytes += Buffer.byteLength(text);
    this.#onWrite();
    if (this.#journalBytes > Math.max(MIN_COMPACT_BYTES, 2 * this.#snapshotBytes)) await this.#compact();
  }

  /**
   * Switch to a new journal, write a snapshot of everything up to the switch, then drop the old
   * journal. A crash at any point replays to the same state: journal operations are idempotent.
   */
  async #compact(): Promise<void> {
    const generation = this.#generation + 1;
    const next = await open(join(this.#dir, journalName(generation)), 'a');
    await fsyncDir(this.#dir);
    const previous = this.#journal;
    this.#journal = next;
    this.#generation = generation;
    this.#journalBytes = 0;
    this.#snapshot.data = { generation, collections: { ...this.maps } };
    await this.#snapshot.write();
    this.#snapshotBytes = (this.#snapshot.adapter as SnapshotFile).lastLength;
    await previous.close();
    await unlink(join(this.#dir, journalName(generation - 1))).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.#journal.close();
  }
}
