/**
 * Heap per pending fallback on the file store, in process: N step-timeout timers scheduled through
 * the real store and scheduler and committed (the live path), then the store reopened and the
 * scheduler started on them (the restart path). Each figure is heapUsed after full collections
 * minus the same with no timers, ÷ N. Also: RSS and heap once the burst has fired and drained
 * (and, with IDLE_MS, after that long idle), and what a whole pending fallback of the start-up
 * bench's seed costs (its timer, its attempt-index entry and its segment-index entry).
 * Run with `node --expose-gc --import tsx bench/timer-memory.ts [N]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { attemptKeys, isOpenMessage } from '../src/engine/receipts.js';
import { createIdFactory } from '../src/ids.js';
import { createScheduler } from '../src/scheduler/scheduler.js';
import { openFileStore } from '../src/store/file/index.js';
import { seedPending } from './seed.js';

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

const realClock = { now: () => Date.now(), setTimeout: (f: () => void, ms: number) => setTimeout(f, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };

/** Live heap with a store opened as the daemon opens it (index keys, open messages) and its scheduler started. */
async function daemonLike(dir: string): Promise<number> {
  const store = await openFileStore({ dir, indexWindowMs: 3 * 86_400_000, indexKeys: attemptKeys, isOpen: isOpenMessage });
  const scheduler = createScheduler({ timers: store.timers, commit: () => store.commit(), clock: realClock, logger });
  scheduler.start();
  const heap = (await settle()).heapUsed;
  await scheduler.stop();
  await store.close();
  return heap;
}

async function open(dir: string, clock = { now: () => Date.now(), setTimeout: (f: () => void, ms: number) => setTimeout(f, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) }) {
  const store = await openFileStore({ dir, indexWindowMs: 86_400_000, indexKeys: () => [] });
  const scheduler = createScheduler({ timers: store.timers, commit: () => store.commit(), clock, logger });
  return { store, scheduler };
}

const dir = mkdtempSync(join(tmpdir(), 'timer-memory-'));
try {
  let { store, scheduler } = await open(dir);
  scheduler.start();
  const atEmpty = await settle();
  const empty = atEmpty.heapUsed;
  console.log(`empty store: ${mib(atEmpty)}`);
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
  if (process.env.IDLE_MS) {
    await new Promise((r) => setTimeout(r, Number(process.env.IDLE_MS)));
    console.log(`after ${process.env.IDLE_MS} ms idle (no forced collection): ${mib(process.memoryUsage())}`);
  }
  await scheduler.stop();
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const seeded = mkdtempSync(join(tmpdir(), 'timer-memory-seed-'));
const none = mkdtempSync(join(tmpdir(), 'timer-memory-empty-'));
try {
  seedPending(seeded, n, { now: Date.now(), spreadMs: 60_000, withinMs: HOUR });
  const base = await daemonLike(none);
  const full = await daemonLike(seeded);
  console.log(`start-up bench seed, opened as the daemon does: ${((full - base) / n).toFixed(0)} B per pending fallback (timer + attempt index + segment index)`);
} finally {
  rmSync(seeded, { recursive: true, force: true });
  rmSync(none, { recursive: true, force: true });
}
