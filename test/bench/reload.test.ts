import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { manyRoutesConfig, p99Ratio, renderReload, type ReloadSummary } from '../../bench/reload.js';
import { loadConfig } from '../../src/config/load.js';
import { builtinPlugins } from '../../src/registry.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const load = { accepted: 5000, durationSec: 10, latencyP50Ms: 8, non2xx: 0, errors: 0 };

describe('bench: sends during reloads', () => {
  it('writes a file the gateway loads, with the bench route and the many others, large enough for the worker-thread parse', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-reload-'));
    dirs.push(dir);
    const text = manyRoutesConfig(dir, 18080, 1000);
    expect(text.length).toBeGreaterThan(32 * 1024);
    writeFileSync(join(dir, 'gateway.yaml'), text);
    const loaded = await loadConfig(join(dir, 'gateway.yaml'), { env: {}, builtins: builtinPlugins });
    expect(Object.keys(loaded.config.routes)).toHaveLength(1001);
    expect(loaded.config.routes.bench.steps[0].providers).toEqual(['mock-sms']);
  });

  it('judges the median over rounds of p99 with reloads ÷ without, and shows a row per phase', () => {
    const phase = (round: number, reloads: boolean, p99: number) => ({ round, reloads, load: { ...load, acceptsPerSec: 500, latencyP99Ms: p99 }, loopLagMaxMs: 10, reloadMs: reloads ? [400, 500] : [], reloadFailures: 0 });
    const summary: ReloadSummary = {
      settings: { routes: 1000, fileChars: 120_000, ratePerSec: 500, durationSec: 10, everyMs: 1000, rounds: 3 },
      phases: [phase(1, false, 40), phase(1, true, 100), phase(2, true, 60), phase(2, false, 40), phase(3, false, 50), phase(3, true, 75)],
      p99Ratio: NaN,
    };
    // Rounds: 100/40 = 2.5, 60/40 = 1.5, 75/50 = 1.5.
    summary.p99Ratio = p99Ratio(summary.phases);
    expect(summary.p99Ratio).toBe(1.5);
    const text = renderReload(summary).join('\n');
    expect(text).toContain('| 1.50 | ≤ 2 | **pass** |');
    expect(text).toContain('| 1 | every 1000 ms | 500 | 8 / 100 ms | 10 ms | 2 (400 / 500 ms) | 0 |');
    expect(renderReload({ ...summary, p99Ratio: 2.5 }).join('\n')).toContain('**FAIL**');
  });
});
