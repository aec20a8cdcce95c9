import { join } from 'node:path';
import { Low } from 'lowdb';
import { BodyWriter, DurableJSONFile } from './durable-file.js';

type Packer = (name: string) => (key: string, value: unknown) => unknown;

export interface Snapshot {
  /** The journal generation that continues this snapshot. */
  generation: number;
  /** Plain objects when read; the live maps when written (serialized a slice at a time). */
  collections: Record<string, Record<string, unknown> | Map<string, unknown>>;
  /** Where each segment's committed bytes ended at the fold (absent in snapshots older than commit markers). */
  segmentEnds?: Record<string, number>;
}

// Entries serialized between two writes; each write yields the event loop.
const SLICE = 2000;

/**
 * The lowdb adapter for `state.json`: the durable temp-write-fsync-rename of DurableJSONFile, but
 * serializing the maps a slice at a time so a large snapshot never stalls the event loop.
 * Entries may change between slices; the snapshot is fuzzy on purpose: every change after the
 * journal switch is also in the new journal, and replaying it over the snapshot converges.
 */
export class SnapshotFile extends DurableJSONFile<Snapshot> {
  readonly #packerOf: Packer;

  /** `packerOf(collection)` gives how that collection's values are written. */
  constructor(path: string, onWrite: () => void, packerOf: Packer) {
    super(path, onWrite);
    this.#packerOf = packerOf;
  }

  protected override async writeBody(body: BodyWriter, data: Snapshot): Promise<void> {
    await body.write(`{"generation":${data.generation},"collections":{`);
    let firstCollection = true;
    for (const [name, records] of Object.entries(data.collections)) {
      await body.write(`${firstCollection ? '' : ','}${JSON.stringify(name)}:{`);
      firstCollection = false;
      const pack = this.#packerOf(name);
      let parts: string[] = [];
      let first = true;
      for (const [k, v] of records instanceof Map ? records : Object.entries(records)) {
        parts.push(`${first ? '' : ','}${JSON.stringify(k)}:${JSON.stringify(pack(k, v))}`);
        first = false;
        if (parts.length >= SLICE) {
          await body.write(parts.join(''));
          parts = [];
        }
      }
      await body.write(`${parts.join('')}}`);
    }
    await body.write(`}${data.segmentEnds ? `,"segmentEnds":${JSON.stringify(data.segmentEnds)}` : ''}}`);
  }
}

/** Reads `state.json` (or starts empty) as a lowdb document. */
export async function openSnapshot(dir: string, onWrite: () => void, packerOf: Packer): Promise<Low<Snapshot>> {
  const snapshot = new Low<Snapshot>(new SnapshotFile(join(dir, 'state.json'), onWrite, packerOf), { generation: 0, collections: {} });
  await snapshot.read();
  return snapshot;
}
