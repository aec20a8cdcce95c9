/**
 * Re-renders BENCHMARKS.md from the figures of the last whole run (`.bench/last-run.json`),
 * without measuring again: `npx tsx bench/render.ts [out.md]`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, WORK } from './procs.js';
import { renderWhole, type WholeSummary } from './report-whole.js';

const summary = JSON.parse(readFileSync(join(WORK, 'last-run.json'), 'utf8')) as WholeSummary;
const out = join(ROOT, process.argv[2] ?? 'BENCHMARKS.md');
const { markdown, stdout } = renderWhole(summary);
writeFileSync(out, markdown);
process.stdout.write(`${stdout}\n\nwrote ${out}\n`);
