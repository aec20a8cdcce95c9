import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import type { InboundRecord } from '../../src/model.js';
import { StoreLockedError } from '../../src/store/file/index.js';
import { openStore } from './helpers.js';

const HOUR = 3_600_000;
const AT = Date.parse('2026-11-23T08:15:00Z');
const inbound = (text: string, at = AT): InboundRecord => ({
  id: ulid(at), instance: 'x', channel: 'sms', from: '+1', to: '+2', text, providerMessageId: 'p', receivedAt: new Date(at).toISOString(),
});

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-life-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const openFds = () => readdirSync('/proc/self/fd').length;

describe('the folder lock', () => {
  it('refuses a second store on a folder in use, naming the holder, and frees the folder on close', async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    expect(JSON.parse(readFileSync(join(dir, 'LOCK'), 'utf8'))).toMatchObject({ pid: process.pid });
    const refused = await openStore(dir).then(() => undefined, (err: unknown) => err);
    expect(refused).toBeInstanceOf(StoreLockedError);
    expect((refused as Error).message).toBe(`store ${dir} is in use by pid ${process.pid} (another switchboard?)`);
    await store.close();
    const next = await openStore(dir);
    await next.close();
  });

  it('takes over a lock whose process is gone', async () => {
    const dir = tempDir();
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(dir, 'LOCK'), JSON.stringify({ pid: gone, startedAt: '2026-01-01T00:00:00Z' }));
    const store = await openStore(dir);
    expect(JSON.parse(readFileSync(join(dir, 'LOCK'), 'utf8')).pid).toBe(process.pid);
    await store.close();
  });
});

describe('close', () => {
  it('waits for the commit in flight, then refuses later commits with StoreUnavailableError', async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    const r = inbound('in flight');
    store.inbound.put(r);
    const committing = store.commit();
    await store.close();
    await committing;
    await expect(store.commit()).rejects.toBeInstanceOf(StoreUnavailableError);
    const again = await openStore(dir);
    expect(await again.inbound.get(r.id)).toEqual(r);
    await again.close();
  });

  it('leaves no file handle open, however many reads opened a cold segment at once', async () => {
    const dir = tempDir();
    const records = Array.from({ length: 40 }, (_, i) => inbound(`r${i}`, AT + (i % 5) * HOUR + i));
    const store = await openStore(dir);
    for (const r of records) store.inbound.put(r);
    await store.commit();
    await store.close();

    const before = openFds();
    const again = await openStore(dir, { cacheBytes: 0 });
    const read = await Promise.all(records.map((r) => again.inbound.get(r.id)));
    expect(read).toEqual(records);
    await again.close();
    expect(openFds()).toBe(before);
  });
});
