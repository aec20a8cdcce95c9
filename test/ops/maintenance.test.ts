import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createMaintenance } from '../../src/app/maintenance.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import type { Store } from '../../src/store/store.js';

const HOUR = 3_600_000;

function fakeStore() {
  const pruned: { cutoff: number; live: string[] }[] = [];
  const store = {
    timers: new Map([['t1', { id: 't1', kind: 'step-timeout', due: 0, payload: { message: 'm-timer', step: 0 } }], ['t2', { id: 't2', kind: 'callback', due: 0, payload: { job: 'j1' } }]]),
    idempotency: new Map([['k', { key: 'k', messageId: 'm-idem', bodyHash: 'h', expiresAt: 0 }]]),
    outbox: new Map([['j1', { id: 'j1', messageId: 'm-callback', url: 'http://x', body: '{}', tries: 1 }]]),
    async prune(cutoff: number, _now: number, live: Iterable<string> = []) {
      pruned.push({ cutoff, live: [...live].sort() });
      return { partitionsDeleted: 0 };
    },
  };
  return { store: store as unknown as Store, pruned };
}

const runtimeWith = (store: Record<string, string>) => ({ loaded: { config: { store } } }) as unknown as Runtime;

describe('maintenance', () => {
  it('reads retention and schedule from the current runtime, and spares what live state names', async () => {
    const { store, pruned } = fakeStore();
    let runtime = runtimeWith({ retention: '30d', maintenance: '17 3 * * *' });
    const scheduled: string[] = [];
    const destroyed: string[] = [];
    const maintenance = createMaintenance({
      store, logger: pino({ level: 'silent' }), runtime: () => runtime,
      clock: { now: () => 100 * 24 * HOUR, setTimeout: () => 0, clearTimeout: () => {} },
      schedule: (expression) => {
        scheduled.push(expression);
        return { stop() {}, destroy: () => void destroyed.push(expression) };
      },
    });
    maintenance.apply();
    expect(scheduled).toEqual([]);
    maintenance.start();
    await maintenance.run();
    expect(pruned[0]).toEqual({ cutoff: 70 * 24 * HOUR, live: ['m-callback', 'm-idem', 'm-timer'] });

    runtime = runtimeWith({ retention: '2d', maintenance: '17 3 * * *' });
    maintenance.apply();
    expect(scheduled).toEqual(['17 3 * * *']);
    await maintenance.run();
    expect(pruned[1].cutoff).toBe(98 * 24 * HOUR);

    runtime = runtimeWith({ retention: '2d', maintenance: '0 * * * *' });
    maintenance.apply();
    expect(scheduled).toEqual(['17 3 * * *', '0 * * * *']);
    expect(destroyed).toEqual(['17 3 * * *']);
    maintenance.stop();
    expect(destroyed).toEqual(['17 3 * * *', '0 * * * *']);
  });
});
