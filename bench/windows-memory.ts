/**
 * Child process of the consent bench (run with `node --expose-gc --import tsx`): the heap one open
 * WhatsApp window costs in the embedded file store. `fill <dir> <count>` opens an empty store, sets
 * `count` windows as the consent policy keys them, commits, and measures; `reopen <dir> <count>`
 * measures the same windows loaded from the snapshot and journal by a fresh process. Prints one
 * JSON line.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openFileStore } from '../src/store/file/index.js';

const [mode, dir, countText] = process.argv.slice(2);
const count = Number(countText);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc || (mode !== 'fill' && mode !== 'reopen') || !dir || !(count > 0)) {
  process.stderr.write('usage: node --expose-gc --import tsx bench/windows-memory.ts fill|reopen <dir> <count>\n');
  process.exit(2);
}

// Twice: the second pass collects what the first one's finalizers let go.
function heapUsed(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}
const peakRss = () => Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
const open = () => openFileStore({ dir, indexKeys: () => [], indexWindowMs: 0 });

/**
 * `<business sender>|<user>` as `pairKey` spells it: 100 business numbers (+1415555xxxx), users
 * +1555xxxxxxx, so every key is 25 characters like a real US pair.
 */
const keyOf = (i: number) => `+1415555${String(i % 100).padStart(4, '0')}|+1555${String(i).padStart(7, '0')}`;
const BATCH = 10_000;

const base = heapUsed();
const t0 = performance.now();
const store = await open();
const openMs = performance.now() - t0;
const opened = heapUsed();
let fillMs = 0;
if (mode === 'fill') {
  // Windows close within the next 24 h (epoch ms, as the policy stores them), committed in batches like live traffic.
  const now = Date.now();
  const t = performance.now();
  for (let i = 0; i < count; i += BATCH) {
    for (let j = i; j < Math.min(count, i + BATCH); j++) store.windows.set(keyOf(j), now + 86_400_000 - ((j * 7919) % 86_400_000));
    await store.commit();
  }
  fillMs = performance.now() - t;
}
const loaded = heapUsed();
const windows = store.windows.size;
await store.close();
const files = readdirSync(dir).filter((f) => f.startsWith('state.'));
const bytesOnDisk = Object.fromEntries(files.map((f) => [f, statSync(join(dir, f)).size]));
process.stdout.write(`${JSON.stringify({
  mode,
  windows,
  keyExample: keyOf(123),
  // Filled: what the windows added to the open store. Reopened: the whole open, windows and all
  // (the runner takes an empty store's open away).
  heapDeltaBytes: mode === 'fill' ? loaded - opened : loaded - base,
  emptyOpenHeapBytes: opened - base,
  openMs,
  fillMs,
  peakRssBytes: peakRss(),
  bytesOnDisk,
})}\n`);
