/**
 * AppendFile's writes are synchronous where the platform has O_DSYNC: a write returns once its
 * bytes are on disk, in the one trip to the thread pool, with no datasync after it. Linux shows a
 * descriptor's open flags in /proc/self/fdinfo, which is how this reads them.
 */
import { constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppendFile } from '../../src/store/file/append-file.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-append-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const openFlags = (fd: number): number => Number.parseInt(/^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1], 8);
const synchronous = (file: AppendFile) => file.use(async (fh) => (openFlags(fh.fd) & constants.O_DSYNC) !== 0);

describe('AppendFile', () => {
  it('writes through a descriptor opened O_DSYNC: made new, opened again, and reopened after closing idle', async () => {
    const path = join(dir, 'nested', 'a.log');
    const made = await AppendFile.open(path);
    expect(await synchronous(made)).toBe(true);
    await made.append(Buffer.from('one\n'));
    await made.close();

    const again = await AppendFile.open(path);
    expect(await synchronous(again)).toBe(true);
    await again.closeIdle();
    expect(again.isOpen).toBe(false);
    await again.append(Buffer.from('two\n'));
    expect(await synchronous(again)).toBe(true);
    await again.close();

    // Closed from the start: opened on first use, with the same flags.
    const lazy = AppendFile.closed(path, 8);
    await lazy.append(Buffer.from('three\n'));
    expect(await synchronous(lazy)).toBe(true);
    await lazy.close();
    expect(readFileSync(path, 'utf8')).toBe('one\ntwo\nthree\n');
  });

  it('writes each staged append at the last good size, and an undone one leaves nothing', async () => {
    const path = join(dir, 'b.log');
    const file = await AppendFile.open(path);
    await file.append(Buffer.from('kept\n'));
    const staged = await file.stage(Buffer.from('undone\n'));
    await staged.undo();
    expect(file.size).toBe(5);
    await file.append(Buffer.from('next\n'));
    await file.close();
    expect(readFileSync(path, 'utf8')).toBe('kept\nnext\n');
  });
});
