/**
 * Two daemons on a database that stops for ~2 s under load and comes back (a cluster of this file's
 * own: the shared one must stay up for the other files). During the outage an accept answers 503
 * with Retry-After or succeeds — never a 202 that is then lost; afterwards both daemons serve again
 * by themselves, without a restart, and every acknowledged message finishes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, startCluster, type Cluster } from '../helpers/postgres.js';
import { analyze, describeMessage } from '../soak/checks.js';
import { readLedger } from '../soak/ledger-plugin.js';
import { createRandom, sleep } from '../soak/load.js';
import { soakRoutes } from '../soak/routes.js';
import { drain, isAlive, listMessages, repeatedStepEvents, startInstance, tearDown, waitReady, type Instance } from './fleet.js';
import { createSpreadLoad, latencySummary, type SpreadLoad } from './spread-load.js';

const SENDERS = 8;
const OUTAGE_MS = 2_000;
const SEED = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));

const ROUTES = soakRoutes({ ledger: '{ledger}', after: '200ms', within: '3s', email: false });

const diff = (after: Record<number, number>, before: Record<number, number>) =>
  Object.fromEntries(Object.entries(after).map(([code, n]) => [code, n - (before[Number(code)] ?? 0)]).filter(([, n]) => Number(n) > 0)) as Record<string, number>;

describe('the database restarting under two instances', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-multi-dbrestart-'));
  const daemons: Instance[] = [];
  let cluster: Cluster | undefined;
  let load: SpreadLoad | undefined;
  let passed = false;

  afterAll(() => tearDown({ load, daemons, dropDatabase: cluster?.stop, dir, passed, label: 'multi database restart' }));

  it('halted ~2 s under load: 503 with Retry-After or success meanwhile, both serve again by themselves, nothing acknowledged is lost', { timeout: 120_000 }, async () => {
    const started = performance.now();
    const since = new Date(Date.now() - 1000).toISOString();
    cluster = await startCluster();
    const db = await createDatabase(cluster.url);
    const random = createRandom(SEED);
    load = createSpreadLoad({ senders: SENDERS, random, quickShare: 0.5, retryShare: 0.3 });
    const fleet = await Promise.all(['p1', 'p2'].map((name) => startInstance(dir, name, ROUTES, db.url, (d) => daemons.push(d))));
    const urls = fleet.map((d) => d.url);
    load.setTargets(urls);
    load.start();
    await sleep(3_000);

    const beforeOutage = { ...load.stats.statuses };
    const ackedBefore = load.acked.length;
    const haltFrom = performance.now();
    await cluster.halt();
    const haltMs = performance.now() - haltFrom;
    await sleep(OUTAGE_MS);
    await cluster.resume();
    const outageMs = performance.now() - haltFrom;
    const duringOutage = diff(load.stats.statuses, beforeOutage);
    const ackedDuringOutage = load.acked.slice(ackedBefore).length;

    // Back without anyone restarting them: each answers /-/ready 200 again.
    const readyAfterMs = await Promise.all(fleet.map((d) => waitReady(d, 20_000)));
    const afterResume = { ...load.stats.statuses };
    await sleep(3_000);
    const servedAfterResume = diff(load.stats.statuses, afterResume);
    await load.stop();
    const neverAcked = await load.settlePool(urls);

    const { missing, open, latest, ms: drainMs } = await drain(load.acked.map((r) => r.id!), () => urls, 20_000);
    const stored = await listMessages(fleet[0].url, since);
    for (const [id, m] of latest) if (!stored.has(id)) stored.set(id, m);
    const ledger = daemons.flatMap((d) => readLedger(d.ledger));
    const findings = analyze(stored.values(), ledger);
    const repeated = [...stored.values()].flatMap((m) => repeatedStepEvents(m));
    const { stats } = load;
    const errorLines = daemons.flatMap((d) => d.lines).filter((l) => /"level":"(warn|error)"/.test(l));

    console.log([
      `multi database restart (SOAK_SEED=${SEED}), ${Math.round((performance.now() - started) / 1000)} s wall`,
      `  server halted in ${haltMs.toFixed(0)} ms, down ${outageMs.toFixed(0)} ms in all; answers meanwhile ${JSON.stringify(duringOutage)} (${ackedDuringOutage} new acknowledgements)`,
      `  /-/ready 200 again ${readyAfterMs.map((ms) => `${ms.toFixed(0)} ms`).join(', ')} after the resume; answers in the 3 s after ${JSON.stringify(servedAfterResume)}`,
      `  keys ${load.keys.size}, acknowledged ${load.acked.length}, never acknowledged ${neverAcked.length}; requests ${stats.requests}: ${JSON.stringify(stats.statuses)}, ${stats.unanswered} without an answer; non-202 ${JSON.stringify(stats.errors)}; accept latency ${latencySummary(stats.latencies)}`,
      `  stored ${stored.size}; acknowledged missing ${missing.size}, not final ${open.length}; stuck of all stored ${findings.stuck.length}; provider sends ${ledger.length}, duplicate ${findings.duplicateSends.length}, unrecorded ${findings.unrecordedSends.length}; timers fired twice ${repeated.length}`,
      `  drain ${drainMs} ms; daemon warnings/errors logged ${errorLines.length}`,
    ].join('\n'));
    const problems = [
      ...findings.stuck.slice(0, 5).map(describeMessage),
      ...[...missing].slice(0, 5).map((id) => `  acknowledged ${id} does not exist`),
      ...findings.duplicateSends.slice(0, 5),
      ...findings.unrecordedSends.slice(0, 5),
      ...findings.duplicateKeys.slice(0, 5),
      ...repeated.slice(0, 5),
      ...stats.idMismatches.slice(0, 5),
      ...[...new Set(errorLines.map((l) => l.slice(0, 300)))].slice(0, 8).map((l) => `  log: ${l}`),
    ];
    if (problems.length > 0) console.log(`multi database restart findings:\n${problems.join('\n')}`);

    const none = (list: readonly unknown[], what: string) => expect(list.length, `${what}: ${list.slice(0, 5).map(String).join('; ')}`).toBe(0);
    expect(fleet.every(isAlive), 'both daemons lived through the outage').toBe(true);
    // The outage was felt: accepts were refused with 503 while the server was away.
    expect(duringOutage[503] ?? 0, 'accepts answered 503 during the outage').toBeGreaterThan(0);
    none(Object.keys(stats.statuses).filter((code) => code !== '202' && code !== '503'), 'answers other than 202 and 503');
    expect(stats.unavailableWithoutRetryAfter, '503s without Retry-After').toBe(0);
    // Both serve accepts again after the resume, by themselves.
    expect(servedAfterResume[202] ?? 0).toBeGreaterThan(0);
    for (const d of fleet) expect(load.acked.filter((r) => r.ackedBy === d.url).length, `acknowledged by ${d.name}`).toBeGreaterThan(0);
    expect(load.acked.length).toBeGreaterThan(30);
    none(neverAcked.map((r) => r.key), 'keys never acknowledged');
    none([...missing], 'acknowledged messages that do not exist');
    none(open, 'acknowledged messages not final');
    none(findings.stuck.map((m) => m.id), 'stored messages not final');
    none(findings.duplicateSends, 'duplicate sends');
    none(findings.unrecordedSends, 'sends the gateway has no attempt for');
    none(findings.duplicateKeys, 'idempotency keys with two messages');
    none(stats.idMismatches, 'keys answered with two ids');
    none(repeated, 'step events twice');
    passed = true;
  });
});
