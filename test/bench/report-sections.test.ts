import { describe, expect, it } from 'vitest';
import { ranBy, targetRowsOf, withSectionTargets } from '../../bench/report-sections.js';

const report = ['# Benchmarks', '', '## Results against the targets', '', '| What | Measured | Target | Verdict |', '|---|---|---|---|', '| Accepts ÷ Koa | 0.20 | ≥ 0.5 | **FAIL** |', '', '## Accept throughput, every run', '', 'text'].join('\n');
const bridge = ['## Bridge (Avaya Infinity, issue 9)', '', '| What | Measured | Target | Verdict |', '|---|---|---|---|', '| Delivered ÷ plain | 0.47 | ≥ 0.7 | **FAIL** |', '| p99 to the contact center | 6 ms | ≤ 50 ms | **pass** |', '', '| Round | Plain/s |', '|---|---|', '| 1 | 5,000 |', ''].join('\n');
const kannel = ['## Issue 14 — against Kannel', '', '| What | Measured | Target | Verdict |', '|---|---|---|---|', '| Accepts ÷ Kannel | 0.49 | ≥ 1.0 | **FAIL** |', '| Same, fsync off | 0.58 | – | – |'].join('\n');

describe('bench: one table of every target', () => {
  it('takes a section\'s rows that carry a verdict, not its other tables or rows without one', () => {
    expect(targetRowsOf(bridge)).toEqual(['| Delivered ÷ plain | 0.47 | ≥ 0.7 | **FAIL** |', '| p99 to the contact center | 6 ms | ≤ 50 ms | **pass** |']);
    expect(targetRowsOf(kannel)).toEqual(['| Accepts ÷ Kannel | 0.49 | ≥ 1.0 | **FAIL** |']);
  });

  it('adds them at the end of the results table, in section order, then puts the sections after the report', () => {
    const md = withSectionTargets(report, [bridge, kannel]);
    const lines = md.split('\n');
    const first = lines.indexOf('| Accepts ÷ Koa | 0.20 | ≥ 0.5 | **FAIL** |');
    expect(lines.slice(first, first + 5)).toEqual([
      '| Accepts ÷ Koa | 0.20 | ≥ 0.5 | **FAIL** |',
      '| Delivered ÷ plain | 0.47 | ≥ 0.7 | **FAIL** |',
      '| p99 to the contact center | 6 ms | ≤ 50 ms | **pass** |',
      '| Accepts ÷ Kannel | 0.49 | ≥ 1.0 | **FAIL** |',
      '',
    ]);
    expect(md.indexOf('## Accept throughput')).toBeLessThan(md.indexOf('## Bridge'));
    expect(md.indexOf('## Bridge')).toBeLessThan(md.indexOf('## Issue 14 — against Kannel'));
    expect(md).toContain('text\n\n## Bridge');
    expect(md.endsWith('| Same, fsync off | 0.58 | – | – |\n')).toBe(true);
    expect(() => withSectionTargets('# no table', [bridge])).toThrow(/Results against the targets/);
  });

  it('says how a section was measured: alone, or within a whole run', () => {
    expect(ranBy({ date: 'd' }, 'bridge')).toBe('`npm run bench -- --only bridge`');
    expect(ranBy({ date: 'd', whole: true }, 'bridge')).toBe('`npm run bench`');
  });
});
