/**
 * The whole machine's CPU time from /proc/stat, to tell a phase's own stalls from the host's: time
 * the hypervisor gave to other guests (steal) and time waiting on the disk (iowait) hold up the
 * daemon's loop as surely as its own work does.
 */
import { readFileSync } from 'node:fs';

export interface CpuTimes {
  /** Milliseconds summed over every CPU since boot. */
  busy: number;
  idle: number;
  iowait: number;
  steal: number;
}

// /proc/stat counts in USER_HZ ticks, 100 a second on Linux.
const MS_PER_TICK = 10;

export function cpuTimes(stat = readFileSync('/proc/stat', 'utf8')): CpuTimes {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = stat.split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { busy: (user + nice + system + irq + softirq) * MS_PER_TICK, idle: idle * MS_PER_TICK, iowait: iowait * MS_PER_TICK, steal: (steal ?? 0) * MS_PER_TICK };
}

export const cpuSince = (a: CpuTimes, b: CpuTimes = cpuTimes()): CpuTimes => ({ busy: b.busy - a.busy, idle: b.idle - a.idle, iowait: b.iowait - a.iowait, steal: b.steal - a.steal });

/** Shares of all CPU time over a span: busy, iowait and steal against the span's total. */
export function cpuShares(d: CpuTimes): { busy: number; iowait: number; steal: number } {
  const total = Math.max(1, d.busy + d.idle + d.iowait + d.steal);
  return { busy: d.busy / total, iowait: d.iowait / total, steal: d.steal / total };
}
