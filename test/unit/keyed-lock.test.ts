import { describe, expect, it } from 'vitest';
import { createKeyedLock } from '../../src/engine/locks.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('the keyed lock', () => {
  it('runs the holders of one key one at a time, in the order they came', async () => {
    const withLock = createKeyedLock();
    const log: string[] = [];
    const holder = (name: string) => withLock('k', async () => {
      log.push(`${name} in`);
      await tick();
      log.push(`${name} out`);
      return name;
    });
    const results = await Promise.all([holder('a'), holder('b'), holder('c')]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
  });

  it('lets a holder that failed go, so the next one runs, and passes the failure to its own caller', async () => {
    const withLock = createKeyedLock();
    const failed = withLock('k', async () => {
      await tick();
      throw new Error('boom');
    });
    const next = withLock('k', async () => 'ran');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ran');
  });

  it('does not make other keys wait', async () => {
    const withLock = createKeyedLock();
    let release!: () => void;
    const held = withLock('a', () => new Promise<void>((resolve) => { release = resolve; }));
    await expect(withLock('b', async () => 'b ran')).resolves.toBe('b ran');
    release();
    await held;
  });

  it('starts a holder of a free key at once, also after the key was contended and let go', async () => {
    const withLock = createKeyedLock();
    await Promise.all([withLock('k', async () => tick()), withLock('k', async () => tick())]);
    let started = false;
    const p = withLock('k', async () => {
      started = true;
    });
    expect(started).toBe(true);
    await p;
  });
});
