import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { createKeyedLock } from '../../src/engine/locks.js';
import { createMessageLock } from '../../src/engine/context.js';

const through = createKeyedLock();
const exclusive = <T>(key: string, fn: () => Promise<T>) => through(key, fn);

describe('a message being created', () => {
  it('starts its deferred work after its commit, outside any hold it was created in, and never once undone', async () => {
    const errors: unknown[] = [];
    const { create, defer, creating } = createMessageLock(exclusive, exclusive, (err) => errors.push(err));
    // A shared store keeps the hold an accept runs in (an idempotency key's) in an AsyncLocalStorage.
    const outerHold = new AsyncLocalStorage<string>();
    const seen: Array<string | undefined> = [];
    let committed = false;
    let dropped = 0;
    await outerHold.run('idempotency session', () => create('m1', async (hooks) => {
      expect(creating('m1')).toBeDefined();
      expect(creating('m2')).toBeUndefined();
      await defer('m1', async () => {
        await null;
        seen.push(outerHold.getStore());
      }, () => { dropped += 1; });
      hooks.committed(() => { committed = true; });
      expect(seen).toEqual([]);
    }));
    await new Promise((r) => setImmediate(r));
    expect(committed).toBe(true);
    expect(seen).toEqual([undefined]);
    expect(dropped).toBe(0);

    let ran = false;
    let undone = 0;
    await expect(create('m3', async (hooks) => {
      await defer('m3', async () => { ran = true; }, () => { dropped += 1; });
      hooks.refused(() => { undone += 1; });
      throw new Error('the commit was refused');
    })).rejects.toThrow('refused');
    await new Promise((r) => setImmediate(r));
    expect({ ran, undone, dropped }).toEqual({ ran: false, undone: 1, dropped: 1 });
    expect(errors).toEqual([]);
  });
});
