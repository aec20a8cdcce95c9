/**
 * Several real daemons on one PostgreSQL database (issue 7): their config, their start, reading
 * messages back through any of them. Each instance gets a config file of its own only so that its
 * provider sends land in a ledger of its own (who sent what); everything else is the same text.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FINAL_STATUSES, type Message } from '../../src/model.js';
import { spawnDaemon, type Daemon } from '../helpers/daemon.js';
import { configText } from '../helpers/gateway.js';
import { getJson } from '../soak/daemon-life.js';
import { sleep } from '../soak/load.js';

/** Short, so a dead instance's claimed timers come back within a few seconds of its death. */
export const LEASE = '2s';

export interface Instance extends Daemon {
  name: string;
  /** This instance's provider sends (test/soak/ledger-plugin.ts). */
  ledger: string;
}

/** `providers`/`routes` YAML on the shared database; `{ledger}` in it becomes this instance's ledger file. */
export function instanceConfig(body: string, ledger: string): string {
  const plugin = join(process.cwd(), 'test', 'soak', 'ledger-plugin.ts');
  return configText(body.replaceAll('{ledger}', ledger), `plugins:\n  ledger: { path: "${plugin}" }`)
    // The URL through the environment, as an operator runs it; one lease for every instance.
    .replace('store: { path: ./data }', `store: { kind: postgres, url: "\${env:DATABASE_URL}", lease: ${LEASE} }`)
    .replace('log: { level: debug }', 'log: { level: info }');
}

/**
 * Writes `<dir>/<name>.yaml` and starts `switchboard start` on it with `DATABASE_URL`, resolving
 * once `/-/ready` answers 200. `onListening` runs as soon as the port is known, so a caller can
 * keep the process for cleanup even if it never becomes ready.
 */
export async function startInstance(
  dir: string,
  name: string,
  body: string,
  databaseUrl: string,
  onListening: (d: Instance) => void,
  timeoutMs = 45_000,
): Promise<Instance> {
  const ledger = join(dir, `sends-${name}.jsonl`);
  const configFile = join(dir, `${name}.yaml`);
  writeFileSync(ledger, '');
  writeFileSync(configFile, instanceConfig(body, ledger));
  const d: Instance = { ...(await spawnDaemon(configFile, { DATABASE_URL: databaseUrl }, timeoutMs)), name, ledger };
  onListening(d);
  await waitReady(d, timeoutMs);
  return d;
}

export const isAlive = (d: Daemon) => d.child.exitCode === null && d.child.signalCode === null;

/** Polls `/-/ready` until 200; throws with the log tail if the process exits or time runs out. */
export async function waitReady(d: Daemon & { name?: string }, timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const res = await fetch(`${d.url}/-/ready`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
    await res?.body?.cancel();
    if (res?.status === 200) return performance.now() - started;
    if (!isAlive(d) || performance.now() - started > timeoutMs) {
      throw new Error(`daemon ${d.name ?? ''} not ready (${isAlive(d) ? `after ${timeoutMs} ms` : `it exited: code ${d.child.exitCode}, signal ${d.child.signalCode}`}):\n${d.lines.slice(-80).join('\n')}`);
    }
    await sleep(50);
  }
}

/** The log of a daemon that exited by itself (not by our signal), for a failure report. */
export function ownExit(d: Instance): string | undefined {
  if (d.child.exitCode === null) return undefined;
  return `--- ${d.name} exited by itself with code ${d.child.exitCode}:\n${d.lines.slice(-80).join('\n')}`;
}

/** kill -9 and wait for the exit. */
export async function killHard(d: Daemon): Promise<void> {
  if (isAlive(d)) d.child.kill('SIGKILL');
  await d.exited;
}

export async function getMessage(url: string, id: string): Promise<Message | undefined> {
  const { status, body } = await getJson<Message>(`${url}/v1/messages/${id}`);
  if (status === 404) return undefined;
  if (status !== 200) throw new Error(`GET /v1/messages/${id} at ${url} answered ${status}: ${JSON.stringify(body)}`);
  return body;
}

/** Every message created since `since`, paged through one instance. */
export async function listMessages(url: string, since: string): Promise<Map<string, Message>> {
  const stored = new Map<string, Message>();
  for (let cursor: string | undefined, pages = 0; pages < 200; pages += 1) {
    const { status, body } = await getJson<{ items: Message[]; nextCursor?: string }>(`${url}/v1/messages?since=${encodeURIComponent(since)}&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    if (status !== 200) throw new Error(`GET /v1/messages at ${url} answered ${status}`);
    for (const m of body.items) stored.set(m.id, m);
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  return stored;
}

/** How many history entries of `m` are `event` on `step`. */
export const eventsOn = (m: Message, event: string, step: number) => m.history.filter((h) => h.event === event && h.step === step).length;

/**
 * History events a message may hold at most once per step, whatever the instances do: a step
 * timer that fired twice (two instances, or one after a takeover) shows as a second one.
 */
export function repeatedStepEvents(m: Message, events: readonly string[] = ['step_timed_out', 'fallback', 'step_started', 'step_succeeded']): string[] {
  const found: string[] = [];
  for (const event of events) {
    for (let step = 0; step < m.plan.steps.length; step += 1) {
      const n = eventsOn(m, event, step);
      if (n > 1) found.push(`${m.id} ${event}[${step}] ×${n}`);
    }
  }
  return found;
}

/**
 * Polls the ids through the live instances (round robin) until each is final or `timeoutMs`
 * passes; returns the last version read of each, and the ids no instance knows.
 */
export async function drain(ids: readonly string[], urls: () => string[], timeoutMs: number): Promise<{ latest: Map<string, Message>; missing: Set<string>; open: string[]; ms: number }> {
  const started = performance.now();
  const latest = new Map<string, Message>();
  const missing = new Set<string>();
  let open = [...ids];
  let turn = 0;
  while (open.length > 0 && performance.now() - started < timeoutMs) {
    const still: string[] = [];
    for (let i = 0; i < open.length; i += 16) {
      await Promise.all(open.slice(i, i + 16).map(async (id) => {
        const live = urls();
        const m = await getMessage(live[turn++ % live.length], id).catch(() => null);
        if (m === undefined) missing.add(id);
        else if (m) {
          missing.delete(id);
          latest.set(id, m);
        }
        if (!m || !FINAL_STATUSES.has(m.status)) still.push(id);
      }));
    }
    open = still;
    if (open.length > 0) await sleep(250);
  }
  return { latest, missing, open, ms: Math.round(performance.now() - started) };
}

/**
 * A suite's teardown: stop the load, report daemons that exited by themselves, kill the rest, drop
 * the database, and keep the folder (configs, ledgers) only when the suite failed.
 */
export async function tearDown(fleet: { load?: { stop(): Promise<unknown> }; daemons: Instance[]; dropDatabase?: () => Promise<unknown>; dir: string; passed: boolean; label: string }): Promise<void> {
  await fleet.load?.stop();
  for (const line of fleet.daemons.map(ownExit)) if (line) console.log(line);
  for (const d of fleet.daemons) await killHard(d);
  await fleet.dropDatabase?.();
  if (fleet.passed) rmSync(fleet.dir, { recursive: true, force: true });
  else {
    // Every line each daemon logged, beside its config and ledger: the tail alone rarely explains a finding.
    for (const d of fleet.daemons) writeFileSync(join(fleet.dir, `${d.name}.log`), d.lines.join('\n'));
    console.log(`${fleet.label}: configs, ledgers and logs kept in ${fleet.dir}\n${fleet.daemons.map((d) => `--- ${d.name}\n${d.lines.filter((l) => /"level":"(warn|error)"/.test(l)).slice(-15).join('\n')}`).join('\n')}`);
  }
}
