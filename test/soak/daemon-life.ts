import { readFileSync } from 'node:fs';
import { spawnDaemon, type Daemon } from '../helpers/daemon.js';
import { metric } from '../helpers/metrics.js';
import { headers, sleep } from './load.js';

/**
 * Starts the daemon and waits until `/-/ready` answers 200: the port may be bound before the
 * stored state is recovered, so "listening" alone does not mean it serves. `onListening` runs as
 * soon as the port is known (senders may hit a daemon that still answers 503).
 */
export async function bootDaemon(configFile: string, onListening: (d: Daemon) => void, timeoutMs = 30_000): Promise<Daemon> {
  // Generous: on a busy 2-core CI machine loading the sources through tsx alone can take 10 s.
  const d = await spawnDaemon(configFile, {}, timeoutMs);
  onListening(d);
  const deadline = performance.now() + timeoutMs;
  let exited = false;
  void d.exited.then(() => {
    exited = true;
  });
  for (;;) {
    const res = await fetch(`${d.url}/-/ready`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
    if (res?.status === 200) return d;
    await res?.body?.cancel();
    if (exited || performance.now() > deadline) {
      d.child.kill('SIGKILL');
      throw new Error(`daemon not ready (${exited ? 'it exited' : `after ${timeoutMs} ms`}):\n${d.lines.slice(-30).join('\n')}`);
    }
    await sleep(50);
  }
}

export async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) });
  return { status: res.status, body: (await res.json()) as T };
}

/** Runs `fn` over `items`, `width` at a time. */
export async function inBatches<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(fn));
}

// Timers that outlive a finished message by design; every other kind belongs to a message in flight.
const LONG_LIVED = /callback|retention|maintenance|prune|expir|dead/;

/**
 * Pending message timers from `/metrics`: the whole `switchboard_scheduler_pending_timers` gauge,
 * less the long-lived kinds when the gauge is labelled by kind.
 */
export function pendingMessageTimers(text: string): number {
  const name = 'switchboard_scheduler_pending_timers';
  const total = metric(text, name, {}, Number.NaN);
  let longLived = 0;
  for (const [, kind] of text.matchAll(new RegExp(`^${name}\\{[^}]*kind="([^"]+)"[^}]*\\}`, 'gm'))) {
    if (LONG_LIVED.test(kind)) longLived += metric(text, name, { kind });
  }
  return total - longLived;
}

/** Resident and peak resident memory of a live process, in MiB (Linux), else from `/metrics`. */
export function memoryMiB(pid: number, metricsText: string): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
  } catch {
    const rss = metric(metricsText, 'process_resident_memory_bytes', {}, Number.NaN) / 2 ** 20;
    return { rss, peak: rss };
  }
}
