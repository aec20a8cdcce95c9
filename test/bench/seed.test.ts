import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { seedRetainedWithPending } from '../../bench/seed.js';
import { openFileStore } from '../../src/store/file/index.js';
import type { Message } from '../../src/model.js';
import { attemptKeys } from '../../src/engine/receipts.js';

const HOUR = 3_600_000;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('bench seed: retained and pending in one store', () => {
  it('opens with every retained message delivered and every pending fallback routing with its timer, though both seeders appended to the same hours', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-bench-seed-'));
    dirs.push(dir);
    // One day of retained messages: the newest hours hold retained and pending lines together.
    seedRetainedWithPending(dir, { retained: 300, days: 1, fullHistoryMs: 3 * 24 * HOUR, pending: 200, spreadMs: 60_000, withinMs: HOUR, now: Date.now() });
    const store = await openFileStore({ dir, indexWindowMs: 3 * 24 * HOUR, indexKeys: () => [] });
    try {
      const seen: Message[] = (await store.messages.list({ limit: 1000 })).items;
      expect(seen.filter((m) => m.status === 'delivered')).toHaveLength(300);
      expect(seen.filter((m) => m.status === 'routing')).toHaveLength(200);
      expect((await store.timers.all()).filter((t) => t.kind === 'step-timeout')).toHaveLength(200);
    } finally {
      await store.close();
    }
  });

  it('writes the receipt index a running daemon keeps: a start parses no message, and every key in the window finds its message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-bench-seed-'));
    dirs.push(dir);
    const now = Date.now();
    seedRetainedWithPending(dir, { retained: 400, days: 8, fullHistoryMs: 3 * 24 * HOUR, pending: 100, spreadMs: 60_000, withinMs: HOUR, now });
    let parsed = 0;
    const store = await openFileStore({ dir, indexWindowMs: 3 * 24 * HOUR, indexKeys: (m) => (parsed++, attemptKeys(m)), now: () => now });
    try {
      expect(parsed).toBe(0);
      const all: Message[] = (await store.messages.list({ limit: 1000 })).items;
      const inWindow = all.filter((m) => Date.parse(m.createdAt) >= now - 3 * 24 * HOUR);
      expect(inWindow.length).toBeGreaterThan(100);
      for (const m of inWindow) {
        for (const key of attemptKeys(m)) expect(await store.attemptIndex.fetch(key)).toBe(m.id);
      }
    } finally {
      await store.close();
    }
  });
});
