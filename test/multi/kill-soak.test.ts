/**
 * Three daemons on one PostgreSQL database under concurrent senders spread over all of them; one
 * is killed with `kill -9` mid-load and a replacement started. Every acknowledged message must
 * exist and end final, every fallback timer fire exactly once (one `step_timed_out` per message
 * and step), and no provider get one attempt twice — whichever instance armed, claimed or took
 * over the work.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { FINAL_STATUSES, type Message } from '../../src/model.js';
import { createDatabase } from '../helpers/postgres.js';
import { analyze, describeMessage } from '../soak/checks.js';
import { readLedger } from '../soak/ledger-plugin.js';
import { soakRoutes } from '../soak/routes.js';
import { createRandom, sleep } from '../soak/load.js';
import { drain, eventsOn, isAlive, killHard, listMessages, repeatedStepEvents, startInstance, tearDown, type Instance } from './fleet.js';
import { createSpreadLoad, latencySummary, type SpreadLoad } from './spread-load.js';

const SENDERS = 16;
const LOAD_MS = 15_000;
const DRAIN_MS = 25_000;
const SEED = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));

const ROUTES = soakRoutes({ ledger: '{ledger}', after: '300ms', within: '2s', email: true });

describe('three instances, one killed under load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-multi-soak-'));
  const daemons: Instance[] = [];
  let db: { url: string; drop(): Promise<void> } | undefined;
  let load: SpreadLoad | undefined;
  let passed = false;

  afterAll(() => tearDown({ load, daemons, dropDatabase: db?.drop, dir, passed, label: 'multi kill soak' }));

  it('kill -9 one of three mid-load: nothing lost, stuck, fired twice or sent twice', { timeout: 120_000 }, async () => {
    const started = performance.now();
    const since = new Date(Date.now() - 1000).toISOString();
    db = await createDatabase(inject('postgresUrl'));
    const random = createRandom(SEED);
    load = createSpreadLoad({ senders: SENDERS, random, quickShare: 0.25, retryShare: 0.2 });
    const live = () => daemons.filter(isAlive).map((d) => d.url);
    const start = (name: string) => startInstance(dir, name, ROUTES, db!.url, (d) => {
      daemons.push(d);
      load!.setTargets(live());
    });

    // Started together: three migrations racing on an empty database, too.
    const fleet = await Promise.all(['i1', 'i2', 'i3'].map(start));
    const fleetReadyS = (performance.now() - started) / 1000;
    load.start();
    const loadFrom = performance.now();
    const victim = fleet[Math.floor(random() * fleet.length)];
    await sleep(4_000 + random() * 3_000);
    // The senders stop picking it first; requests already in flight to it are cut by the kill.
    load.setTargets(live().filter((u) => u !== victim.url));
    const inFlightAtKill = load.inFlight;
    const killedAfterS = (performance.now() - loadFrom) / 1000;
    const killedAt = Date.now();
    await killHard(victim);
    const victimSends = readLedger(victim.ledger);
    await sleep(2_000);
    const replacementFrom = performance.now();
    const replacement = await start('i4');
    const replacementReadyS = (performance.now() - replacementFrom) / 1000;
    // The replacement takes its share for a while, however long its start took under load.
    await sleep(Math.max(3_000, LOAD_MS - (performance.now() - loadFrom)));
    await load.stop();
    const loadS = (performance.now() - loadFrom) / 1000;
    const urls = live();
    const neverAcked = await load.settlePool(urls);

    const { latest, missing, open, ms: drainMs } = await drain(load.acked.map((r) => r.id!), live, DRAIN_MS);
    // Everything stored, acknowledged or not (a request cut by the kill may have made a message).
    const stored = await listMessages(replacement.url, since);
    for (const [id, m] of latest) if (!stored.has(id)) stored.set(id, m);
    const ledger = daemons.flatMap((d) => readLedger(d.ledger).map((e) => ({ ...e, by: d.name })));
    const findings = analyze(stored.values(), ledger);
    const messages = [...stored.values()];

    // Every fallback timer fired exactly once: WhatsApp never answers, so each default-route
    // message that started step 0 has exactly one timeout there, and no step has two.
    const repeated = messages.flatMap((m) => repeatedStepEvents(m));
    const defaults = messages.filter((m) => m.route === 'default' && eventsOn(m, 'step_started', 0) === 1);
    const missedTimeouts = defaults.filter((m) => FINAL_STATUSES.has(m.status) && eventsOn(m, 'step_timed_out', 0) !== 1);
    const timeouts = messages.reduce((n, m) => n + m.history.filter((h) => h.event === 'step_timed_out').length, 0);
    // Takeovers: WhatsApp sent by the victim, its timeout fired after the kill (by someone else).
    const sentByVictim = new Set(victimSends.filter((e) => e.channel === 'whatsapp').map((e) => e.message));
    const takenOver = defaults.filter((m) => sentByVictim.has(m.id) && m.history.some((h) => h.event === 'step_timed_out' && h.step === 0 && Date.parse(h.at) >= killedAt));
    const takeoverDelays = takenOver.map((m) => Date.parse(m.history.find((h) => h.event === 'step_timed_out' && h.step === 0)!.at) - Math.max(killedAt, Date.parse(m.steps[0].startedAt!) + 1_000));
    // An attempt marked unknown is an orphan of the dead instance; one a live instance sent is not.
    const senderOf = new Map(ledger.map((e) => [e.attempt, e.by]));
    const unknown = messages.flatMap((m) => m.attempts.filter((x) => x.status === 'unknown').map((x) => ({ m, x, by: senderOf.get(x.id) })));
    const falseOrphans = unknown.filter((u) => u.by !== undefined && u.by !== victim.name).map((u) => `${u.m.id} attempt ${u.x.id} sent by live ${u.by}, marked unknown`);
    const stuckAcked = load.acked.filter((r) => open.includes(r.id!));
    const errorLines = daemons.flatMap((d) => d.lines).filter((l) => /"level":"(warn|error)"/.test(l));
    const { stats } = load;

    const byCount = (list: readonly Message[], key: (m: Message) => string) => list.reduce<Record<string, number>>((acc, m) => ({ ...acc, [key(m)]: (acc[key(m)] ?? 0) + 1 }), {});
    console.log([
      `multi kill soak (SOAK_SEED=${SEED}), ${Math.round((performance.now() - started) / 1000)} s wall, ${loadS.toFixed(1)} s of load over ${fleet.length} instances`,
      `  keys ${load.keys.size}, acknowledged ${load.acked.length} (${(load.acked.length / loadS).toFixed(0)}/s), never acknowledged ${neverAcked.length}; retried at another instance and acknowledged ${stats.crossInstanceRetries}`,
      `  requests ${stats.requests}: ${JSON.stringify(stats.statuses)}, ${stats.unanswered} without an answer; non-202 ${JSON.stringify(stats.errors)}; accept latency ${latencySummary(stats.latencies)}`,
      `  instances ready in ${fleetReadyS.toFixed(1)} s (three at once); the replacement in ${replacementReadyS.toFixed(1)} s under load`,
      `  killed ${victim.name} ${killedAfterS.toFixed(1)} s into the load with ${inFlightAtKill} requests in flight; it had sent ${victimSends.length}; replacement ${replacement.name}`,
      `  stored ${stored.size} ${JSON.stringify(byCount(messages, (m) => m.status))}; acknowledged missing ${missing.size}, stuck ${stuckAcked.length}; stuck of all stored ${findings.stuck.length}`,
      `  step timeouts ${timeouts}; default-route messages ${defaults.length}; timeouts fired twice ${repeated.length}; missing step-0 timeouts ${missedTimeouts.length}`,
      `  takeovers: ${takenOver.length} WhatsApp steps sent by ${victim.name} timed out after its death (delay after due/kill ms: max ${Math.max(0, ...takeoverDelays)}, median ${takeoverDelays.sort((x, y) => x - y)[Math.floor(takeoverDelays.length / 2)] ?? 0})`,
      `  provider sends ${ledger.length} ${JSON.stringify(ledger.reduce<Record<string, number>>((acc, e) => ({ ...acc, [e.by]: (acc[e.by] ?? 0) + 1 }), {}))}; unknown attempts ${findings.unknownAttempts} (sent by ${victim.name} ${unknown.filter((u) => u.by === victim.name).length}, claimed but never sent ${unknown.filter((u) => u.by === undefined).length}, sent by a live instance ${falseOrphans.length}); duplicate sends ${findings.duplicateSends.length}; unrecorded ${findings.unrecordedSends.length}; keys with two messages ${findings.duplicateKeys.length}`,
      `  drain ${drainMs} ms; daemon warnings/errors logged ${errorLines.length}`,
    ].join('\n'));
    const problems = [
      ...findings.stuck.slice(0, 5).map(describeMessage),
      ...repeated.slice(0, 5),
      ...missedTimeouts.slice(0, 3).map(describeMessage),
      ...[...missing].slice(0, 5).map((id) => `  acknowledged ${id} does not exist`),
      ...findings.duplicateSends.slice(0, 5).map((s) => `  duplicate: ${s}`),
      ...falseOrphans.slice(0, 5).map((s) => `  orphan: ${s}`),
      ...findings.unrecordedSends.slice(0, 5).map((s) => `  unrecorded: ${s}`),
      ...findings.duplicateKeys.slice(0, 5).map((s) => `  key: ${s}`),
      ...stats.idMismatches.slice(0, 5).map((s) => `  id mismatch: ${s}`),
      ...neverAcked.slice(0, 5).map((r) => `  never acknowledged: ${r.key} (${r.requests} requests)`),
      ...[...new Set(errorLines.map((l) => l.slice(0, 300)))].slice(0, 8).map((l) => `  log: ${l}`),
    ];
    if (problems.length > 0) console.log(`multi kill soak findings:\n${problems.join('\n')}`);

    const none = (list: readonly unknown[], what: string) => expect(list.length, `${what}: ${list.slice(0, 5).map(String).join('; ')}`).toBe(0);
    expect(daemons.filter((d) => d !== victim && !isAlive(d)).map((d) => d.name), 'instances that died by themselves').toEqual([]);
    expect(load.acked.length, 'enough traffic to mean something').toBeGreaterThan(100);
    expect(inFlightAtKill, 'the kill cut requests in flight').toBeGreaterThan(0);
    // Every instance took its share: the load really was spread.
    for (const d of [...fleet, replacement]) expect(load.acked.filter((r) => r.ackedBy === d.url).length, `acknowledged by ${d.name}`).toBeGreaterThan(0);
    none(Object.keys(stats.statuses).filter((code) => code !== '202' && code !== '503'), 'answers other than 202 and 503');
    none(stats.unavailableWithoutRetryAfter > 0 ? ['503 without Retry-After'] : [], '503s');
    none(neverAcked.map((r) => r.key), 'keys never acknowledged');
    none([...missing], 'acknowledged messages that do not exist');
    none(stuckAcked.map((r) => r.id!), 'acknowledged messages not final');
    none(findings.stuck.map((m) => m.id), 'stored messages not final');
    none(repeated, 'step events twice (a timer fired twice)');
    none(missedTimeouts.map((m) => m.id), 'default-route messages without exactly one WhatsApp timeout');
    none(findings.duplicateSends, 'duplicate sends');
    none(falseOrphans, 'live sends taken for orphans');
    none(findings.unrecordedSends, 'sends the gateway has no attempt for');
    none(findings.duplicateKeys, 'idempotency keys with two messages');
    none(stats.idMismatches, 'keys answered with two ids');
    expect(defaults.length).toBeGreaterThan(50);
    expect(takenOver.length, 'timers the victim armed were fired by the others after its death').toBeGreaterThan(0);
    // With a 2 s lease a claimed timer comes back within seconds (the 15 s default would not).
    expect(Math.max(...takeoverDelays), 'takeover delay, ms').toBeLessThan(10_000);
    passed = true;
  });
});
