/** The provider-side counter (bench/kannel/fake-provider.ts) as a child of the bench, and how to wait on it. */
import { join } from 'node:path';
import { freePort, ROOT, startChild, type Child } from '../procs.js';

export interface Arrivals {
  child: Child;
  /** The Infobip-shaped fake's origin (unused with `--fakesmsc`). */
  port: number;
  /** The last count read. */
  count(): number;
  /** Polls until `want` arrived; resolves with when the last of them did (epoch ms, stamped by the counter). */
  waitFor(want: number, timeoutMs: number): Promise<number>;
}

export async function startArrivals(dir: string, mode: 'infobip' | 'fakesmsc'): Promise<Arrivals> {
  const port = await freePort();
  const child = await startChild({
    name: `arrivals-${mode}`, cmd: process.execPath, args: ['--import', 'tsx', join(ROOT, 'bench/kannel/fake-provider.ts'), String(port), ...(mode === 'fakesmsc' ? ['--fakesmsc'] : [])],
    cwd: dir, port, readyPath: '/count', logFile: join(dir, `arrivals-${mode}.log`), ...(mode === 'fakesmsc' ? { stdin: 'pipe' as const } : {}),
  });
  let count = 0;
  return {
    child,
    port,
    count: () => count,
    waitFor: async (want, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = (await (await fetch(`http://127.0.0.1:${port}/count`)).json()) as { count: number; lastAt: number };
        count = r.count;
        if (r.count >= want) return r.lastAt;
        if (Date.now() > deadline) throw new Error(`${mode}: ${r.count} of ${want} arrived within ${timeoutMs} ms`);
        await new Promise((res) => setTimeout(res, 50));
      }
    },
  };
}
