import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FINAL_STATUSES, type Message } from '../../src/model.js';
import type { Daemon } from '../helpers/daemon.js';
import { configText } from '../helpers/gateway.js';
import { analyze, describeMessage } from './checks.js';
import { bootDaemon, getJson, inBatches, memoryMiB, pendingMessageTimers } from './daemon-life.js';
import { readLedger } from './ledger-plugin.js';
import { soakRoutes } from './routes.js';
import { createLoad, createRandom, sleep, type Load } from './load.js';

// The issue's crash soak: a real daemon under concurrent sends on a fallback route, `kill -9`ed at
// random points and restarted on the same folder; every acknowledged message must end final, no
// timer may be lost, no provider may get a send twice, and the restart must stay small.
const KILLS = 5;
const SENDERS = 16;
const DRAIN_MS = 20_000;
// With no message timer pending, nothing can move an open message (mock receipts take 300 ms).
const STALL_MS = 3_000;
const RSS_LIMIT_MIB = 300;
const SEED = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));

function soakConfig(ledger: string): string {
  const plugin = join(process.cwd(), 'test', 'soak', 'ledger-plugin.ts');
  return configText(soakRoutes({ ledger, after: '300ms', within: '2s', email: true }), `plugins:\n  ledger: { path: "${plugin}" }`).replace('log: { level: debug }', 'log: { level: info }');
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

describe('crash soak', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-soak-'));
  const daemons: Daemon[] = [];
  let passed = false;
  let senders: Load | undefined;

  afterAll(async () => {
    // A run cut short (a timeout, a daemon that would not start) must not leave senders looping.
    await senders?.stop();
    for (const d of daemons) {
      if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
      await d.exited;
    }
    if (passed) rmSync(dir, { recursive: true, force: true });
    else console.log(`crash soak: state and ledger kept in ${dir}`);
  });

  it(`kill -9 ${KILLS} times under concurrent sends: nothing stuck, lost or sent twice`, { timeout: 150_000 }, async () => {
    const started = performance.now();
    const since = new Date(Date.now() - 1000).toISOString();
    const ledgerFile = join(dir, 'sends.jsonl');
    const configFile = join(dir, 'gateway.yaml');
    writeFileSync(ledgerFile, '');
    writeFileSync(configFile, soakConfig(ledgerFile));
    const random = createRandom(SEED);
    const load = createLoad({ senders: SENDERS, random, quickShare: 0.25, retryShare: 0.15, replayShare: 0.05, twinShare: 0.75 });
    const boot = async () => {
      const d = await bootDaemon(configFile, (listening) => {
        daemons.push(listening);
        load.setTarget(listening.url);
      });
      return d;
    };

    // Kill at a random point 0.5–3 s after each start, with the senders going.
    senders = load;
    load.start();
    const sendingFrom = performance.now();
    const kills: { lifetimeMs: number; inFlight: number }[] = [];
    for (let k = 0; k < KILLS; k += 1) {
      const d = await boot();
      const lifetimeMs = Math.round(500 + random() * 2500);
      await sleep(lifetimeMs);
      kills.push({ lifetimeMs, inFlight: load.inFlight });
      d.child.kill('SIGKILL');
      load.setTarget(undefined);
      await d.exited;
    }
    const last = await boot();
    const readyMemory = memoryMiB(last.child.pid!, '');
    await sleep(1500);
    await load.stop();
    const sendingS = (performance.now() - sendingFrom) / 1000;
    // Keys whose request died with a daemon are retried with the same body: one id each.
    const neverAcked = await load.settlePool(last.url);

    // Drain: every acknowledged id reaches a final status and the message timers run out.
    const drainStart = performance.now();
    const latest = new Map<string, Message>();
    const missing = new Set<string>();
    let open = load.acked.map((r) => r.id!);
    let pending = Number.NaN;
    let metricsText = '';
    let progress = { at: performance.now(), mark: '' };
    while (performance.now() - drainStart < DRAIN_MS) {
      const still: string[] = [];
      await inBatches(open, 16, async (id) => {
        const { status, body } = await getJson<Message>(`${last.url}/v1/messages/${id}`);
        if (status === 404) missing.add(id);
        else if (status !== 200) still.push(id);
        else {
          missing.delete(id);
          latest.set(id, body);
          if (!FINAL_STATUSES.has(body.status)) still.push(id);
        }
      });
      open = [...still, ...missing];
      metricsText = await (await fetch(`${last.url}/metrics`)).text();
      pending = pendingMessageTimers(metricsText);
      if (open.length === 0 && pending === 0) break;
      // Open messages and no timer left to move them: they are stuck for good, no need to wait on.
      const mark = `${open.length}/${pending}`;
      if (mark !== progress.mark) progress = { at: performance.now(), mark };
      else if (pending === 0 && performance.now() - progress.at > STALL_MS) break;
      await sleep(250);
    }
    const drainMs = Math.round(performance.now() - drainStart);

    // Everything the daemon holds, acknowledged or not (a request cut by a kill may still be stored).
    const stored = new Map<string, Message>();
    for (let cursor: string | undefined, pages = 0; pages < 200; pages += 1) {
      const { status, body } = await getJson<{ items: Message[]; nextCursor?: string }>(`${last.url}/v1/messages?since=${encodeURIComponent(since)}&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      for (const m of body.items) stored.set(m.id, m);
      cursor = body.nextCursor;
      if (!cursor) break;
    }
    for (const [id, m] of latest) if (!stored.has(id)) stored.set(id, m);

    const ledger = readLedger(ledgerFile);
    const findings = analyze(stored.values(), ledger);
    const stuckAcked = load.acked.filter((r) => !FINAL_STATUSES.has(stored.get(r.id!)?.status ?? 'accepted') && !missing.has(r.id!));
    // Sends to providers that would have delivered (all but WhatsApp here), had the gateway lived.
    const reachedProvider = new Set(ledger.filter((e) => e.instance !== 'wa').map((e) => e.message));
    const failedButSent = [...stored.values()].filter((m) => m.status === 'failed' && reachedProvider.has(m.id)).length;
    const memory = memoryMiB(last.child.pid!, metricsText);
    const { stats } = load;
    const errorLines = daemons.flatMap((d) => d.lines).filter((l) => /"level":"(warn|error)"/.test(l));

    console.log([
      `crash soak (SOAK_SEED=${SEED}), ${Math.round((performance.now() - started) / 1000)} s wall`,
      `  keys ${load.keys.size}, acknowledged ${load.acked.length} in ${sendingS.toFixed(0)} s of sending, ${(load.acked.length / sendingS).toFixed(0)}/s with the restarts (${stats.retriedAcked} after a request cut by a kill), never acknowledged ${neverAcked.length}`,
      `  requests ${stats.requests}: ${JSON.stringify(stats.statuses)}, ${stats.unanswered} without an answer`,
      `  kills ${kills.length} (lifetimes ms ${kills.map((k) => k.lifetimeMs).join(' ')}; requests in flight ${kills.map((k) => k.inFlight).join(' ')}), restarts ${daemons.length - 1}`,
      `  stored messages ${stored.size} ${JSON.stringify(countBy([...stored.values()], (m) => m.status))}; missing acknowledged ${missing.size}; stuck acknowledged ${stuckAcked.length}, stuck of all stored ${findings.stuck.length}`,
      `  stuck by status and last event: ${JSON.stringify(countBy(findings.stuck, (m) => `${m.status} after ${m.history.at(-1)?.event}`))}`,
      `  provider sends ${ledger.length}; unknown attempts ${findings.unknownAttempts}; duplicate sends ${findings.duplicateSends.length}; sends not recorded ${findings.unrecordedSends.length}; 'failed' though a delivering provider got the send ${failedButSent}`,
      `  idempotency: ${stats.twins} retries sent twice at once; keys with more than one message ${findings.duplicateKeys.length}, replays with another id ${stats.replayMismatches.length}`,
      `  drain ${drainMs} ms; pending message timers after it ${pending}`,
      `  daemon memory after the last restart: RSS ${readyMemory.rss.toFixed(0)} MiB when ready, ${memory.rss.toFixed(0)} MiB after the drain, peak ${memory.peak.toFixed(0)} MiB`,
      `  daemon warnings/errors logged: ${errorLines.length}`,
    ].join('\n'));
    const problems = [
      ...findings.stuck.slice(0, 5).map(describeMessage),
      ...[...missing].slice(0, 5).map((id) => `  acknowledged ${id} does not exist`),
      ...findings.duplicateSends.slice(0, 5).map((s) => `  duplicate: ${s}`),
      ...findings.unrecordedSends.slice(0, 5).map((s) => `  unrecorded: ${s}`),
      ...findings.duplicateKeys.slice(0, 5).map((s) => `  key: ${s}`),
      ...stats.replayMismatches.slice(0, 5).map((s) => `  replay: ${s}`),
      ...neverAcked.slice(0, 5).map((r) => `  never acknowledged: ${r.key} (${r.requests} requests)`),
      ...[...new Set(errorLines.map((l) => l.slice(0, 300)))].slice(0, 8).map((l) => `  log: ${l}`),
    ];
    if (problems.length > 0) console.log(`crash soak findings:\n${problems.join('\n')}`);

    const none = (list: readonly string[], what: string) => expect(list.length, `${what}: ${list.slice(0, 5).join('; ')}`).toBe(0);
    expect(kills.length).toBeGreaterThanOrEqual(5);
    expect(kills.every((k) => k.inFlight > 0), 'every kill cut requests in flight').toBe(true);
    expect(load.acked.length, 'enough traffic to mean something').toBeGreaterThan(100);
    // 503 (not ready, or the store cannot write) asks for a retry; the requests are valid and each
    // key keeps its body, so any other 4xx or 5xx is a defect.
    none(Object.keys(stats.statuses).filter((code) => Number(code) >= 400 && code !== '503'), 'answers 4xx/5xx other than 503');
    none(neverAcked.map((r) => r.key), 'keys the last daemon never acknowledged');
    none([...missing], 'acknowledged ids that do not exist');
    none(stuckAcked.map((r) => r.id!), 'acknowledged messages stuck in a non-final status');
    none(findings.stuck.map((m) => `${m.id} ${m.status}`), 'stored messages stuck in a non-final status');
    expect(pending, 'message timers left after the drain').toBe(0);
    none(findings.duplicateSends, 'sends beyond what retries and failovers allow');
    none(findings.unrecordedSends, 'provider sends the gateway has no attempt for');
    none(findings.duplicateKeys, 'idempotency keys with more than one message');
    none(stats.replayMismatches, 'replays answered with another id');
    expect(memory.rss, 'RSS MiB after the last restart').toBeLessThan(RSS_LIMIT_MIB);
    expect(memory.peak, 'peak RSS MiB of the last daemon (its recovery included)').toBeLessThan(RSS_LIMIT_MIB);
    passed = true;
  });
});
