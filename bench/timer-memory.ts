/**
 * Heap per pending fallback on the file store, in process: N step-timeout timers scheduled through
 * the real store and scheduler and committed (the live path), then the store reopened and the
 * scheduler started on them (the restart path). Each figure is heapUsed after full collections
 * minus the same with no timers, ÷ N. Also: RSS and heap once the burst has fired and drained.
 * Run with `node --expose-gc --import tsx bench/timer-memory.ts [N]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createIdFactory } from '../src/ids.js';
import { createScheduler } from '../src/scheduler/scheduler.js';
import { openFileStore } from '../src/store/file/index.js';

const n = Number(process.argv[2] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage();
};
const mib = (u: NodeJS.MemoryUsage) => ['heapUsed', 'heapTotal', 'external', 'rss'].map((k) => `${k} ${(u[k as keyof NodeJS.MemoryUsage] / 2 ** 20).toFixed(1)} MiB`).join(', ');
const logger = pino({ level: 'silent' });
const nextId = createIdFactory();
const HOUR = 3_600_000;

async function open(dir: string, clock = { now: () => Date.now(), setTimeout: (f: () => void, ms: number) => setTimeout(f, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) }) {
  const store = await openFileStore({ dir, indexWindowMs: 86_400_000, indexKeys: () => [] });
  const scheduler = createScheduler({ timers: store.timers, commit: () => store.commit(), clock, logger });
  return { store, scheduler };
}

const dir = mkdtempSync(join(tmpdir(), 'timer-memory-'));
try {
  let { store, scheduler } = await open(dir);
  scheduler.start();
  const empty = (await settle()).heapUsed;
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const message = nextId(now - 60_000 + i);
    scheduler.schedule('step-timeout', now + HOUR + i, { message, step: 0 }, `${message}.0.timeout`);
    if (i % 1000 === 999) await store.commit();
  }
  await store.commit();
  const live = (await settle()).heapUsed;
  console.log(`live path: ${((live - empty) / n).toFixed(0)} B per pending timer (${scheduler.pending} pending); ${mib(await settle())}`);
  await scheduler.stop();
  await store.close();

  ({ store, scheduler } = await open(dir));
  scheduler.start();
  const restarted = (await settle()).heapUsed;
  console.log(`after restart: ${((restarted - empty) / n).toFixed(0)} B per pending timer (${scheduler.pending} pending)`);
  await scheduler.stop();
  await store.close();

  // The burst fires: a clock an hour ahead makes every timer overdue; the handler commits.
  const ahead = { now: () => Date.now() + 2 * HOUR, setTimeout: (f: () => void, ms: number) => setTimeout(f, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
  ({ store, scheduler } = await open(dir, ahead));
  let fired = 0;
  scheduler.register('step-timeout', async () => {
    fired += 1;
  });
  scheduler.start();
  while (scheduler.pending > 0) await new Promise((r) => setTimeout(r, 50));
  await scheduler.idle();
  await store.commit();
  await new Promise((r) => setTimeout(r, 500));
  const drained = await settle();
  console.log(`after the burst fired (${fired}): heap ${((drained.heapUsed - empty) / n).toFixed(0)} B per former timer above empty; ${mib(drained)}`);
  await scheduler.stop();
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
