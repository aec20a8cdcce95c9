/**
 * One core each: the issue asks Switchboard to outrun Kannel "on one core", while on a 2-core
 * machine Kannel's two processes (and their threads) spread over both. `taskset` pins every thread
 * of a server's processes to the last CPU and the bench process (the load generator) to the
 * others for the length of a run, then gives the bench its CPUs back. Per-thread CPU time from
 * /proc tells how a server's work was split: Switchboard's JavaScript all runs on one thread.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { readdirSync } from 'node:fs';
import { readStat } from '../procs.js';

/** CPU seconds of each thread of `pid`, keyed by thread id; `main` marks the process's first thread. */
export function threadCpu(pid: number): Map<number, { comm: string; main: boolean; sec: number }> {
  const out = new Map<number, { comm: string; main: boolean; sec: number }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tids) {
    try {
      const { comm, cpuSeconds } = readStat(`/proc/${pid}/task/${t}/stat`);
      out.set(Number(t), { comm, main: Number(t) === pid, sec: cpuSeconds });
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

export interface CpuSplit {
  /** e.g. "main thread", "other threads", "bearerbox", "smsbox". */
  part: string;
  seconds: number;
}

/**
 * CPU seconds per part between two readings of the same processes. Node servers split into their
 * main thread and the rest (libuv's pool doing the writes and fsyncs, V8's GC helpers, the log
 * worker); a server of several processes (Kannel) splits by process.
 */
export function cpuSplit(before: Map<number, ReturnType<typeof threadCpu>>, after: Map<number, ReturnType<typeof threadCpu>>, byProcess: boolean): CpuSplit[] {
  const parts = new Map<string, number>();
  for (const [pid, threads] of after) {
    for (const [tid, t] of threads) {
      const part = byProcess ? t.comm : t.main ? 'main thread' : 'other threads';
      parts.set(part, (parts.get(part) ?? 0) + t.sec - (before.get(pid)?.get(tid)?.sec ?? 0));
    }
  }
  return [...parts].map(([part, seconds]) => ({ part, seconds }));
}

export const readThreads = (pids: number[]) => new Map(pids.map((p) => [p, threadCpu(p)]));

const taskset = (args: string[]) => spawnSync('taskset', args, { encoding: 'utf8' });

/** The CPUs to give a server and the load generator, or why one-core runs cannot be made here. */
export function oneCorePlan(): { server: string; client: string } | { skipped: string } {
  const n = availableParallelism();
  if (n < 2) return { skipped: `one CPU only: no one-core runs` };
  if (taskset(['-p', String(process.pid)]).status !== 0) return { skipped: 'no `taskset` (util-linux): no one-core runs' };
  return { server: String(n - 1), client: n === 2 ? '0' : `0-${n - 2}` };
}

/** Pins every thread of `pids` to `cpus` (a taskset list). */
export function pin(pids: number[], cpus: string): void {
  for (const pid of pids) {
    const r = taskset(['-a', '-p', '-c', cpus, String(pid)]);
    if (r.status !== 0) throw new Error(`taskset -a -p -c ${cpus} ${pid}: ${r.stderr.trim()}`);
  }
}

/** Runs `fn` with the bench process pinned to `cpus`, then restores the affinity it had. */
export async function withBenchOn<T>(cpus: string, fn: () => Promise<T>): Promise<T> {
  const was = /:\s*([0-9a-f]+)\s*$/i.exec(taskset(['-p', String(process.pid)]).stdout)?.[1];
  pin([process.pid], cpus);
  try {
    return await fn();
  } finally {
    if (was) taskset(['-a', '-p', was, String(process.pid)]);
  }
}
