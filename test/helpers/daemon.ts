import { afterEach } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface Daemon {
  child: ChildProcess;
  url: string;
  lines: string[];
  exited: Promise<number | null>;
}

/**
 * Starts `switchboard start --config FILE` as a real process and waits until it listens; one that
 * does not within `startTimeoutMs` is killed (so no stray daemon keeps the folder). `nodeArgs` go
 * to node before the script (`['--import', hooks]`). The sources run through tsx unless `script`
 * names a built entry point (test/helpers/bundle.ts).
 */
export async function spawnDaemon(configFile: string, env: Record<string, string> = {}, startTimeoutMs = 15_000, nodeArgs: readonly string[] = [], script?: string): Promise<Daemon> {
  const entry = script ? [script] : ['--import', 'tsx', join(process.cwd(), 'src', 'main.ts')];
  const child = spawn(process.execPath, [...nodeArgs, ...entry, 'start', '--config', configFile], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`daemon did not start within ${startTimeoutMs} ms:\n${lines.join('\n')}`));
    }, startTimeoutMs);
    const onData = (chunk: Buffer) => {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        lines.push(line);
        const m = /"port":(\d+).*"msg":"switchboard listening"/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(`http://127.0.0.1:${m[1]}`);
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`daemon exited with ${code}:\n${lines.join('\n')}`)));
  });
  return { child, url, lines, exited };
}

/**
 * Daemons and clean-ups a test file registers; after each test every daemon still there is killed
 * (SIGKILL, awaited) and then the clean-ups run, in order.
 *
 * @example const { daemons, cleanups } = killDaemonsAfterEach(); daemons.push(await spawnDaemon(file));
 */
export function killDaemonsAfterEach(): { daemons: Daemon[]; cleanups: Array<() => void | Promise<void>> } {
  const daemons: Daemon[] = [];
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const d of daemons.splice(0)) {
      d.child.kill('SIGKILL');
      await d.exited;
    }
    for (const c of cleanups.splice(0)) await c();
  });
  return { daemons, cleanups };
}
