/**
 * Re-renders BENCHMARKS.md from the figures of the last run (`.bench/last-run.json`), without
 * measuring again: `npx tsx bench/render.ts [out.md]`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, WORK } from './procs.js';
import { renderStdout, type Summary } from './report.js';
import type { ConsentSummary } from './consent.js';
import { renderWithConsent } from './report-consent.js';

const summary = JSON.parse(readFileSync(join(WORK, 'last-run.json'), 'utf8')) as Summary & { consent?: ConsentSummary };
const out = join(ROOT, process.argv[2] ?? 'BENCHMARKS.md');
writeFileSync(out, renderWithConsent(summary));
process.stdout.write(`${renderStdout(summary)}\n\nwrote ${out}\n`);
