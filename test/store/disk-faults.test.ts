import { appendFileSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { createIdFactory } from '../../src/ids.js';
import type { InboundRecord } from '../../src/model.js';
import { mountTmpfs, openStore, type Tmpfs } from './helpers.js';

const nextId = createIdFactory();

function record(i: number): InboundRecord {
  const at = Date.now();
  // 2–6 kB, so records of one commit fail in different places of a page.
  return { id: nextId(at), instance: 'x', channel: 'sms', from: '+1', to: '+2', text: `${i}:${'z'.repeat(2000 + ((i * 797) % 4000))}`, providerMessageId: `p${i}`, receivedAt: new Date(at).toISOString() };
}

/** Every record line in the folder's segments, parsed: what a restart would find. */
function onDisk(dir: string): { records: Map<string, InboundRecord>; files: string[] } {
  const records = new Map<string, InboundRecord>();
  const files: string[] = [];
  const root = join(dir, 'inbound');
  for (const day of readdirSync(root)) {
    for (const f of readdirSync(join(root, day))) {
      files.push(join(root, day, f));
      const text = readFileSync(join(root, day, f), 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      for (const line of text.split('\n').filter(Boolean)) {
        const r = JSON.parse(line.slice(27)) as InboundRecord;
        expect(line.slice(0, 26)).toBe(r.id);
        records.set(r.id, r);
      }
    }
  }
  return { records, files };
}

describe('a store on a filesystem that fills up', () => {
  let fs: Tmpfs;
  beforeAll(() => {
    fs = mountTmpfs('2m');
  });
  afterAll(() => fs.unmount());

  it('acknowledges only what is fully written, fails with 503s while full, recovers when space returns, and reads back every acknowledged record after a restart', async () => {
    const dir = join(fs.dir, 'data');
    // Half the space goes to a filler; the store fills the rest under concurrent load.
    const filler = fs.fill(1024 * 1024);
    const store = await openStore(dir);
    const acked: InboundRecord[] = [];
    const refused: InboundRecord[] = [];
    let failed = 0;
    let n = 0;

    async function client(stop: () => boolean): Promise<void> {
      while (!stop()) {
        const r = record((n += 1));
        store.inbound.put(r);
        store.timers.set(r.id, { id: r.id, kind: 'k', due: 1, payload: {} });
        try {
          await store.commit();
          acked.push(r);
        } catch (err) {
          expect(err).toBeInstanceOf(StoreUnavailableError);
          expect(store.writable).toBe(false);
          failed += 1;
          refused.push(r);
          // What a caller does with a refused change: undo its own.
          store.inbound.discard(r.id);
          store.timers.delete(r.id);
        }
      }
    }

    await Promise.all(Array.from({ length: 8 }, () => client(() => failed >= 40)));
    const whileFull = acked.length;
    expect(whileFull).toBeGreaterThan(50);
    // At this moment, with the disk still full, every acknowledged record is whole on disk.
    const full = onDisk(dir);
    for (const r of acked) expect(full.records.get(r.id)).toEqual(r);

    rmSync(filler);
    const failedBefore = failed;
    let more = 0;
    await Promise.all(Array.from({ length: 8 }, () => client(() => (more += 1) > 40)));
    expect(failed).toBe(failedBefore);
    expect(store.writable).toBe(true);
    await store.close();

    // A crash mid-append on top: torn lines at the ends of a segment and of the journal.
    const segment = onDisk(dir).files.at(-1)!;
    const journal = join(dir, readdirSync(dir).find((f) => f.startsWith('state.journal.'))!);
    const goodSizes = [statSync(segment).size, statSync(journal).size];
    appendFileSync(segment, `${nextId(Date.now())}\t{"id":"torn`);
    appendFileSync(journal, '["timers","torn",{"id":');

    const again = await openStore(dir, { cacheBytes: 0 });
    expect([statSync(segment).size, statSync(journal).size]).toEqual(goodSizes);
    for (const r of acked) {
      expect(await again.inbound.get(r.id)).toEqual(r);
      expect(again.timers.get(r.id)?.id).toBe(r.id);
    }
    const after = onDisk(dir);
    const refusedOnDisk = refused.filter((r) => after.records.has(r.id)).length;
    const refusedTimers = refused.filter((r) => again.timers.get(r.id)).length;
    // A refused commit leaves nothing behind: what one file took is cut when another fails.
    expect([refusedOnDisk, refusedTimers]).toEqual([0, 0]);
    await again.close();
    console.log(`disk faults: ${whileFull} records acknowledged until the disk was full, ${failedBefore} commits refused with StoreUnavailableError while full, ${acked.length - whileFull} acknowledged after space returned, ${acked.length} read back intact after a restart; refused records found after the restart: ${refusedOnDisk}; torn tails cut: 2 files`);
  });
});
