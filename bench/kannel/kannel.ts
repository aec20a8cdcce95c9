/**
 * Kannel 1.4.5 as the bench runs it: bearerbox (with a fake SMSC and `store-type = file`), fakesmsc
 * connected to that SMSC as the provider (its log read by a counter process), and smsbox serving
 * `/cgi-bin/sendsms`. Each start gets its own folder and free ports; `stop` ends smsbox,
 * bearerbox, fakesmsc and the counter in that order, and every process is killed with the bench's
 * other children however the bench exits.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startChild, track, type Child } from '../procs.js';
import { startArrivals, type Arrivals } from './arrivals.js';

export interface KannelBinaries {
  bearerbox: string;
  smsbox: string;
  fakesmsc: string;
}

const executable = (file: string) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};
const firstOf = (names: string[]) => names.find(executable);

/** Where Debian's `kannel` and `kannel-extras` put them; undefined when any is missing. */
export function findKannel(): KannelBinaries | undefined {
  const bearerbox = firstOf(['/usr/sbin/bearerbox', '/usr/local/sbin/bearerbox', '/usr/bin/bearerbox']);
  const smsbox = firstOf(['/usr/sbin/smsbox', '/usr/local/sbin/smsbox', '/usr/bin/smsbox']);
  const fakesmsc = firstOf(['/usr/lib/kannel/test/fakesmsc', '/usr/local/lib/kannel/test/fakesmsc', '/usr/bin/fakesmsc']);
  return bearerbox && smsbox && fakesmsc ? { bearerbox, smsbox, fakesmsc } : undefined;
}

/** `bearerbox --version`'s first line's version, e.g. `1.4.5`. */
export function kannelVersion(bin: KannelBinaries): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn(bin.bearerbox, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (out += c.toString()));
    p.on('close', () => resolve(/version `([^']+)'/.exec(out)?.[1] ?? 'unknown'));
    p.on('error', () => resolve('unknown'));
  });
}

export interface Kannel {
  /** smsbox's sendsms port. */
  port: number;
  sendsmsPath(text: string): string;
  /** Counts what fakesmsc received, stamped in a process of its own. */
  arrivals: Arrivals;
  /** CPU seconds of bearerbox and smsbox together (fakesmsc is the provider's side, not counted). */
  cpuSeconds(): number;
  /** RSS of bearerbox + smsbox. */
  rss(): number;
  /** bearerbox's and smsbox's process ids. */
  pids: number[];
  stop(): Promise<void>;
}

const TEMPLATE = new URL('./kannel.conf.template', import.meta.url).pathname;
const USER = 'bench';

async function smscOnline(adminPort: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${adminPort}/status.txt?password=${USER}`, { signal: AbortSignal.timeout(2000) });
      if (/\(online /.test(await res.text())) return;
    } catch {
      // bearerbox still starting
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('kannel: fakesmsc did not come online at bearerbox');
}

/** The template with every `@NAME@` filled; a field the template names but `fields` lacks is an error. */
export function kannelConf(fields: Record<string, string | number>): string {
  return readFileSync(TEMPLATE, 'utf8').replace(/@([A-Z_]+)@/g, (_, name: string) => {
    if (fields[name] === undefined) throw new Error(`kannel.conf.template: no value for @${name}@`);
    return String(fields[name]);
  });
}

export async function startKannel(bin: KannelBinaries, dir: string): Promise<Kannel> {
  mkdirSync(dir, { recursive: true });
  const ports = { ADMIN_PORT: await freePort(), SMSBOX_PORT: await freePort(), SMSC_PORT: await freePort(), SENDSMS_PORT: await freePort() };
  const conf = join(dir, 'kannel.conf');
  writeFileSync(conf, kannelConf({ ...ports, DIR: dir }));

  const started: Child[] = [];
  let fakesmsc: ReturnType<typeof spawn> | undefined;
  let arrivals: Arrivals | undefined;
  const stop = async () => {
    for (const c of started.splice(0).reverse()) await c.stop(10_000);
    if (fakesmsc && fakesmsc.exitCode === null && fakesmsc.signalCode === null) {
      const f = fakesmsc;
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => f.kill('SIGKILL'), 5_000);
        f.once('exit', () => (clearTimeout(force), resolve()));
        f.kill('SIGTERM');
      });
    }
    await arrivals?.child.stop();
  };
  try {
    arrivals = await startArrivals(dir, 'fakesmsc');
    // Verbosity 2 (warnings): a box at its default debug level logs every message.
    started.push(await startChild({ name: 'bearerbox', cmd: bin.bearerbox, args: ['-v', '2', conf], cwd: dir, port: ports.ADMIN_PORT, readyPath: `/status.txt?password=${USER}`, logFile: join(dir, 'bearerbox.out'), readyTimeoutMs: 30_000 }));
    // fakesmsc logs one line per message it receives on stderr (at its default debug level, which
    // it needs for that), straight into the counter's stdin.
    fakesmsc = spawn(bin.fakesmsc, ['-H', '127.0.0.1', '-r', String(ports.SMSC_PORT), '-m', '0', '1 2 text unused'], { cwd: dir, stdio: ['ignore', 'ignore', arrivals.child.stdin!] });
    track(fakesmsc);
    await smscOnline(ports.ADMIN_PORT, Date.now() + 30_000);
    started.push(await startChild({ name: 'smsbox', cmd: bin.smsbox, args: ['-v', '2', conf], cwd: dir, port: ports.SENDSMS_PORT, readyPath: '/cgi-bin/sendsms', logFile: join(dir, 'smsbox.out'), readyTimeoutMs: 30_000 }));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port: ports.SENDSMS_PORT,
    sendsmsPath: (text) => `/cgi-bin/sendsms?username=${USER}&password=${USER}&from=12345&to=%2B15551234567&text=${encodeURIComponent(text)}`,
    arrivals,
    cpuSeconds: () => started.reduce((a, c) => a + (c.alive() ? c.cpuSeconds() : 0), 0),
    rss: () => started.reduce((a, c) => a + (c.alive() ? c.memory().rss : 0), 0),
    pids: started.map((c) => c.pid),
    stop,
  };
}
