import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Low } from 'lowdb';
import { BodyWriter, DurableJSONFile } from './durable-file.js';
import { COLLECTION_END, collectionLine, DOCUMENT_END, entryLine, headerLine, readSnapshot, type CollectionReader } from './snapshot-lines.js';

type Packer = (name: string) => (key: string, value: unknown) => unknown;

export interface Snapshot {
  /** The journal generation that continues this snapshot. */
  generation: number;
  /**
   * Maps when read (values revived); when written, the live maps or a view of them as of a commit
   * point (committed-view.ts), serialized a slice at a time; plain objects from older callers.
   */
  collections: Record<string, Record<string, unknown> | Iterable<[string, unknown]>>;
  /** Where each segment's committed bytes ended at the fold (absent in snapshots older than commit markers). */
  segmentEnds?: Record<string, number>;
}

// Entries serialized between two writes; each write yields the event loop.
const SLICE = 2000;

/**
 * The lowdb adapter for `state.json`: the durable temp-write-fsync-rename of DurableJSONFile, but
 * serializing the maps a slice at a time so a large snapshot never stalls the event loop, one
 * entry a line so a start reads it without parsing one 20 MB document (snapshot-lines.ts).
 * The live maps change between slices: a fold hands it a view of them as of its commit point
 * (committed-view.ts), so the snapshot holds what was committed then and nothing later.
 */
export class SnapshotFile extends DurableJSONFile<Snapshot> {
  readonly #path: string;
  readonly #packerOf: Packer;
  readonly #readerOf: (name: string) => CollectionReader;

  /** `packerOf(collection)` gives how that collection's values are written, `readerOf` how they are read back. */
  constructor(path: string, onWrite: () => void, packerOf: Packer, readerOf: (name: string) => CollectionReader) {
    super(path, onWrite);
    this.#path = path;
    this.#packerOf = packerOf;
    this.#readerOf = readerOf;
  }

  override async read(): Promise<Snapshot | null> {
    let buf: Buffer;
    try {
      buf = await readFile(this.#path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    return readSnapshot(buf, this.#readerOf);
  }

  protected override async writeBody(body: BodyWriter, data: Snapshot): Promise<void> {
    await body.write(headerLine(data.generation, data.segmentEnds));
    let firstCollection = true;
    for (const [name, records] of Object.entries(data.collections)) {
      await body.write(collectionLine(name, firstCollection));
      firstCollection = false;
      const pack = this.#packerOf(name);
      let parts: string[] = [];
      let first = true;
      let sliceStart = performance.now();
      for (const [k, v] of isIterable(records) ? records : Object.entries(records)) {
        parts.push(entryLine(k, pack(k, v), first));
        first = false;
        if (parts.length >= SLICE) {
          const text = parts.join('');
          const spent = performance.now() - sliceStart;
          await body.write(text);
          // A fold runs beside the traffic and takes at most about half of the loop, however big
          // it is: unpaced, 300k entries held 100k timers firing at 1,667/s up to 80 ms late.
          await sleep(spent);
          parts = [];
          sliceStart = performance.now();
        }
      }
      await body.write(`${parts.join('')}${COLLECTION_END}`);
    }
    await body.write(DOCUMENT_END);
  }
}

const isIterable = (x: object): x is Iterable<[string, unknown]> => Symbol.iterator in x;

/** Reads `state.json` (or starts empty) as a lowdb document whose collections are maps of revived values. */
export async function openSnapshot(dir: string, onWrite: () => void, packerOf: Packer, readerOf: (name: string) => CollectionReader): Promise<Low<Snapshot>> {
  const snapshot = new Low<Snapshot>(new SnapshotFile(join(dir, 'state.json'), onWrite, packerOf, readerOf), { generation: 0, collections: {} });
  await snapshot.read();
  return snapshot;
}
