/** The bench's reading of /proc/stat: ticks to milliseconds, and shares over a span. */
import { describe, expect, it } from 'vitest';
import { cpuShares, cpuSince, cpuTimes } from '../../bench/machine-cpu.js';

const stat = (user: number, idle: number, iowait: number, steal: number) => `cpu  ${user} 0 50 ${idle} ${iowait} 0 10 ${steal} 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n`;

describe('machine CPU from /proc/stat', () => {
  it('reads the all-CPU line in milliseconds and splits a span into busy, iowait and steal', () => {
    const a = cpuTimes(stat(100, 1000, 20, 5));
    expect(a).toEqual({ busy: 1600, idle: 10_000, iowait: 200, steal: 50 });
    const d = cpuSince(a, cpuTimes(stat(160, 1020, 30, 15)));
    expect(d).toEqual({ busy: 600, idle: 200, iowait: 100, steal: 100 });
    expect(cpuShares(d)).toEqual({ busy: 0.6, iowait: 0.1, steal: 0.1 });
  });

  it('reads this machine', () => {
    const t = cpuTimes();
    expect(t.busy + t.idle).toBeGreaterThan(0);
    expect(t.steal).toBeGreaterThanOrEqual(0);
  });
});
