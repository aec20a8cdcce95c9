/**
 * Child processes of the bench: build, spawn, wait until serving, sample RSS/CPU from /proc, and
 * stop. Every child is killed when the bench exits, however it exits.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Writable } from 'node:stream';

export const ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
export const WORK = join(ROOT, '.bench');

const children = new Set<ChildProcess>();
const cleanups: (() => void)[] = [];

/** Runs at exit (normal, error or signal): kills children, then removes temp data. */
export function onCleanup(fn: () => void): void {
  cleanups.push(fn);
}

function cleanupAll(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  children.clear();
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      fn();
    } catch {
      // best effort: a leftover temp folder is git-ignored
    }
  }
}
process.on('exit', cleanupAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    process.stderr.write(`\nbench: ${sig}, stopping children\n`);
    cleanupAll();
    process.exit(130);
  });
}

/** Kills `child` with the others when the bench exits (for children not started by `startChild`). */
export function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Bundles the daemon into `.bench/build` (not `dist/`, which others may be using) the way
 * `npm run build` does, and returns the command that starts it: what an install runs. A failed
 * bundle falls back to running the sources through tsx.
 */
/**
 * The node flags the daemon runs with as shipped (`npm start`, which the systemd units and the
 * bin's shebang match, test/ops/node-flags.test.ts), then BENCH_DAEMON_FLAGS (e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/p`, `--trace-gc`) for a closer look.
 */
export function daemonNodeFlags(): string[] {
  return [...startNodeFlags(ROOT), ...(process.env.BENCH_DAEMON_FLAGS?.split(' ').filter(Boolean) ?? [])];
}

/** The node flags of `npm start` in the package at `root` (a checkout of another revision, for bench:ab). */
export function startNodeFlags(root: string): string[] {
  return shippedNodeFlags((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start);
}

/** The flags between `node` and the script in a command line (`node --a --b dist/daemon/main.js …`). */
export function shippedNodeFlags(command: string): string[] {
  const words = command.split(/\s+/);
  const flags: string[] = [];
  for (const w of words.slice(words.indexOf('node') + 1)) {
    if (!w.startsWith('--')) break;
    flags.push(w);
  }
  return flags;
}

export function buildDaemon(): { cmd: string; args: string[]; compiled: boolean } {
  const out = join(WORK, 'build');
  rmSync(out, { recursive: true, force: true });
  const bundled = spawnSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs'), out], { encoding: 'utf8' });
  const main = join(out, 'main.js');
  if (bundled.status === 0 && existsSync(main)) return { cmd: process.execPath, args: [...daemonNodeFlags(), main], compiled: true };
  process.stderr.write(`bench: the bundle failed; running the sources with tsx (slower start, same steady state):\n${bundled.stderr.split('\n').slice(0, 10).join('\n')}\n`);
  return { cmd: process.execPath, args: [...daemonNodeFlags(), '--import', 'tsx', join(ROOT, 'src/main.ts')], compiled: false };
}

export interface Child {
  name: string;
  pid: number;
  port: number;
  /** Where its stdout and stderr go. */
  logFile: string;
  /** Resident set size now and its peak (VmHWM), in bytes. */
  memory(): { rss: number; peak: number };
  /** User + system CPU seconds used so far. */
  cpuSeconds(): number;
  /** SIGTERM, then SIGKILL after `graceMs` (default 15 s). */
  stop(graceMs?: number): Promise<void>;
  /** `kill -9`; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Whether the process is still running (a refused start exits). */
  alive(): boolean;
  /** SIGSTOP / SIGCONT: the process is frozen in place, connections and all. */
  pause(): void;
  resume(): void;
  /** Its standard input, when started with `stdin: 'pipe'` (another child may write to it directly). */
  stdin?: Writable;
}

const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function procStatus(pid: number): { rss: number; peak: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** A `/proc/<pid>/stat` or `/proc/<pid>/task/<tid>/stat` file: the command name and user + system CPU seconds. */
export function readStat(file: string): { comm: string; cpuSeconds: number } {
  const stat = readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS };
}

const procCpu = (pid: number): number => readStat(`/proc/${pid}/stat`).cpuSeconds;

async function waitFor(url: string, child: ChildProcess, timeoutMs: number, log: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: child exited with ${child.exitCode}; see ${log}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    // Start-up times are read here: a coarser poll overstated them by up to its interval.
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${url}: not ready after ${timeoutMs} ms; see ${log}`);
}

/** Spawns a server and resolves once `readyPath` answers below 500. */
export async function startChild(options: { name: string; cmd: string; args: string[]; cwd: string; port: number; readyPath: string; logFile: string; readyTimeoutMs?: number; env?: Record<string, string>; stdin?: 'pipe' }): Promise<Child> {
  mkdirSync(options.cwd, { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(options.cmd, options.args, { cwd: options.cwd, stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env, NODE_ENV: 'production' } });
  children.add(child);
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  child.once('exit', () => children.delete(child));
  await waitFor(`http://127.0.0.1:${options.port}${options.readyPath}`, child, options.readyTimeoutMs ?? 120_000, options.logFile);
  const pid = child.pid!;
  return {
    name: options.name,
    pid,
    port: options.port,
    logFile: options.logFile,
    memory: () => procStatus(pid),
    cpuSeconds: () => procCpu(pid),
    alive: () => child.exitCode === null && child.signalCode === null,
    stdin: child.stdin ?? undefined,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
    stop: (graceMs = 15_000) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
