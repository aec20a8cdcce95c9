/**
 * The bridge scenarios of issue 9, against the fake Avaya (test/fakes/avaya-fake.ts) in this
 * process and a built daemon: (a) customer inbound webhooks/s delivered to the contact center, and
 * (b) agent events/s sent to the customer's provider, each ÷ the plain inbound webhook of the same
 * run (no rule); (c) from a customer webhook's 200 to the contact center receiving it, p50/p99, at a
 * steady pace. The customer side is a mock instance, so the figures are the gateway's own work.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { avayaProviderYaml, messagesEvent, signEvent, startAvayaFake, type AvayaFake } from '../test/fakes/avaya-fake.js';
import { fileStoreHeader } from './config.js';
import { runLoad, type LoadSummary } from './consent-load.js';
import { percentile, scrape } from './metrics.js';
import { freePort, startChild, type Child } from './procs.js';
import { ranBy, type SectionMeta } from './report-sections.js';

export const BUSINESS = '+15557654321';
export const SECRET = 'bench-avaya-webhook-secret';
export const customer = (i: number) => `+1555${String(i % 1_000_000).padStart(7, '0')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** This process's CPU (user + system) since `from`, in ms. */
const benchCpuSince = (from: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
};

export function writeConfig(dir: string, port: number, avaya: AvayaFake, bridged: boolean): string {
  const yaml = `${fileStoreHeader('bench/bridge.ts', dir, port)}providers:
  cust: { plugin: mock, channels: [sms], from: "${BUSINESS}", outcome: delivered, after: 1s }
${avayaProviderYaml(avaya, SECRET)}routes:
  agent-replies:
    steps:
      - { channel: sms, providers: [cust], until: accepted, within: 1m }
bridges:
  support: { contactCenter: avaya, numbers: ["${BUSINESS}"], reply: { route: agent-replies } }
${bridged ? `inbound:
  - match: { provider: cust, to: "${BUSINESS}" }
    bridge: support
` : ''}`;
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, yaml);
  return file;
}

export async function startDaemon(dir: string, daemon: { cmd: string; args: string[] }, avaya: AvayaFake, bridged: boolean, name: string): Promise<Child> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const config = writeConfig(dir, port, avaya, bridged);
  return startChild({ name, cmd: daemon.cmd, args: [...daemon.args, 'start', '--config', config], cwd: dir, port, readyPath: '/-/ready', logFile: join(dir, 'daemon.log') });
}

export const inboundBody = (tag: string) => (i: number) => JSON.stringify({ from: customer(i), to: BUSINESS, text: `${tag} ${i}`, channel: 'sms', id: `${tag}-${i}` });

/** Waits until `count()` reaches `want` or stops moving for `stallMs`; returns when it got there (ms, wall clock). */
async function until(count: () => number | Promise<number>, want: number, stallMs = 10_000): Promise<{ reached: number; at: number }> {
  let last = -1;
  let moved = Date.now();
  for (;;) {
    const n = await count();
    if (n >= want) return { reached: n, at: Date.now() };
    if (n !== last) {
      last = n;
      moved = Date.now();
    }
    if (Date.now() - moved > stallMs) return { reached: n, at: Date.now() };
    await sleep(50);
  }
}

const attemptsSent = async (port: number) => {
  const m = /switchboard_attempts_total\{channel="sms",provider="cust",status="queued"\} (\d+)/.exec(await scrape(port));
  return m ? Number(m[1]) : 0;
};

export interface BridgeRound {
  round: number;
  plain: LoadSummary;
  /** The daemon's CPU (user + system) per event, ms: a figure the machine's other load moves less than rates. */
  plainCpuMs: number;
  /** This process's CPU per event in the same span: the load generator and, bridged, the fake Avaya, on the same cores. */
  plainBenchCpuMs: number;
  toContactCenter: { webhooks: LoadSummary; delivered: number; deliveredPerSec: number; cpuMs: number; benchCpuMs: number };
  toCustomer: { events: LoadSummary; sent: number; sentPerSec: number; cpuMs: number; benchCpuMs: number };
}

export interface BridgeSummary {
  settings: { rounds: number; connections: number; durationSec: number; paceRate: number; paceCount: number };
  rounds: BridgeRound[];
  latency: { count: number; delivered: number; p50: number; p90: number; p99: number; max: number; webhookP99: number };
}

/** The whole bridge bench: `rounds` rounds of (a) and (b) beside the plain webhook, then (c). */
export async function runBridgeBench(o: { dir: string; daemon: { cmd: string; args: string[] }; rounds: number; connections: number; durationSec: number; paceRate: number; paceCount: number; log: (l: string) => void }): Promise<BridgeSummary> {
  const avaya = await startAvayaFake();
  // Counted, not kept, in the throughput rounds: the fake's own heap would grow by every request.
  avaya.record = false;
  const rounds: BridgeRound[] = [];
  try {
    for (let r = 1; r <= o.rounds; r += 1) {
      const plainDaemon = await startDaemon(join(o.dir, `plain-${r}`), o.daemon, avaya, false, `plain-${r}`);
      const plainCpu = plainDaemon.cpuSeconds();
      const plainBench = process.cpuUsage();
      const plain = await runLoad({ port: plainDaemon.port, path: '/webhooks/cust/inbound', body: inboundBody(`plain${r}`), connections: o.connections, durationMs: o.durationSec * 1000 });
      const plainCpuMs = ((plainDaemon.cpuSeconds() - plainCpu) * 1000) / Math.max(1, plain.ok);
      const plainBenchCpuMs = benchCpuSince(plainBench) / Math.max(1, plain.ok);
      await plainDaemon.stop();
      o.log(`bridge round ${r}: plain inbound ${plain.perSec.toFixed(0)}/s`);

      const bridged = await startDaemon(join(o.dir, `bridge-${r}`), o.daemon, avaya, true, `bridge-${r}`);
      const before = avaya.counts.accepted;
      const started = Date.now();
      const bridgedCpu = bridged.cpuSeconds();
      const bridgedBench = process.cpuUsage();
      const webhooks = await runLoad({ port: bridged.port, path: '/webhooks/cust/inbound', body: inboundBody(`cc${r}`), connections: o.connections, durationMs: o.durationSec * 1000 });
      const done = await until(() => avaya.counts.accepted - before, webhooks.ok);
      const deliveredPerSec = done.reached / ((done.at - started) / 1000);
      const deliveredCpuMs = ((bridged.cpuSeconds() - bridgedCpu) * 1000) / Math.max(1, done.reached);
      const deliveredBenchCpuMs = benchCpuSince(bridgedBench) / Math.max(1, done.reached);
      o.log(`bridge round ${r}: ${webhooks.perSec.toFixed(0)} webhooks/s; ${done.reached} of ${webhooks.ok} delivered to Avaya, ${deliveredPerSec.toFixed(0)}/s`);

      const sentBefore = await attemptsSent(bridged.port);
      const eventsStarted = Date.now();
      const eventsCpu = bridged.cpuSeconds();
      const eventsBench = process.cpuUsage();
      const events = await runLoad({
        port: bridged.port, path: '/webhooks/avaya/events', connections: o.connections, durationMs: o.durationSec * 1000,
        body: (i) => signEvent(SECRET, messagesEvent({ from: BUSINESS, to: customer(i), text: `agent ${r} ${i}`, eventId: `evt-${r}-${i}` })).rawBody,
        headersOf: (body) => ({ 'x-avaya-event-signature': signEvent(SECRET, body).signature }),
      });
      const sent = await until(async () => (await attemptsSent(bridged.port)) - sentBefore, events.ok);
      const sentPerSec = sent.reached / ((sent.at - eventsStarted) / 1000);
      const sentCpuMs = ((bridged.cpuSeconds() - eventsCpu) * 1000) / Math.max(1, sent.reached);
      const sentBenchCpuMs = benchCpuSince(eventsBench) / Math.max(1, sent.reached);
      o.log(`bridge round ${r}: ${events.perSec.toFixed(0)} agent events/s; ${sent.reached} of ${events.ok} sent to the provider, ${sentPerSec.toFixed(0)}/s`);
      await bridged.stop();
      rounds.push({
        round: r, plain, plainCpuMs, plainBenchCpuMs,
        toContactCenter: { webhooks, delivered: done.reached, deliveredPerSec, cpuMs: deliveredCpuMs, benchCpuMs: deliveredBenchCpuMs },
        toCustomer: { events, sent: sent.reached, sentPerSec, cpuMs: sentCpuMs, benchCpuMs: sentBenchCpuMs },
      });
    }

    // (c): a steady pace well inside what the daemon sustains, so the figure is latency, not backlog.
    const paced = await startDaemon(join(o.dir, 'latency'), o.daemon, avaya, true, 'latency');
    avaya.record = true;
    const acked = new Map<string, number>();
    const before = avaya.sends.length;
    const load = await runLoad({
      port: paced.port, path: '/webhooks/cust/inbound', body: inboundBody('lat'), connections: o.connections, amount: o.paceCount, ratePerSec: o.paceRate,
      onAnswer: (a) => {
        if (a.status === 200) acked.set(`lat ${a.index}`, a.at);
      },
    });
    await until(() => avaya.sends.length - before, load.ok);
    const latencies: number[] = [];
    for (const send of avaya.sends.slice(before)) {
      const text = (send.body as { body?: { text?: string } }).body?.text ?? '';
      const at = acked.get(text);
      if (at !== undefined) latencies.push(send.at - at);
    }
    await paced.stop();
    latencies.sort((x, y) => x - y);
    const latency = { count: load.ok, delivered: latencies.length, p50: percentile(latencies, 0.5), p90: percentile(latencies, 0.9), p99: percentile(latencies, 0.99), max: latencies.at(-1) ?? NaN, webhookP99: load.latencyP99Ms };
    o.log(`bridge latency: ${latencies.length} of ${load.ok} at ${o.paceRate}/s; ack → Avaya p50 ${latency.p50.toFixed(0)} ms, p99 ${latency.p99.toFixed(0)} ms`);
    return { settings: { rounds: o.rounds, connections: o.connections, durationSec: o.durationSec, paceRate: o.paceRate, paceCount: o.paceCount }, rounds, latency };
  } finally {
    await avaya.close();
  }
}

const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 0.5);

/**
 * What holds the two throughput ratios down, from this run's CPU figures: a bridged message costs
 * the machine an HTTP exchange with the contact center (its client in the daemon, its server in
 * the fake) that a plain webhook does not.
 */
function limits(s: BridgeSummary): string[] {
  const med = (f: (r: BridgeRound) => number) => median(s.rounds.map(f));
  const plain = med((r) => r.plainCpuMs + r.plainBenchCpuMs);
  const delivered = med((r) => r.toContactCenter.cpuMs + r.toContactCenter.benchCpuMs);
  const sent = med((r) => r.toCustomer.cpuMs + r.toCustomer.benchCpuMs);
  const daemonMore = med((r) => r.toContactCenter.cpuMs - r.plainCpuMs);
  const fakeMore = med((r) => r.toContactCenter.benchCpuMs - r.plainBenchCpuMs);
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  return [
    '### What limits the bridge ratios',
    '',
    `Both ratios compare a bridged message with the cheapest thing the daemon does, a plain inbound webhook, and the machine's two cores run the daemon, the load generator and the fake Avaya alike. Per event, daemon and bench process together spent ${ms(plain)} of CPU on a plain webhook, ${ms(delivered)} on a message delivered to the contact center and ${ms(sent)} on an agent event sent (medians); at 0.7 of the plain rate an event could cost ${ms(plain / 0.7)}. A delivery is a second HTTP exchange, with the contact center: it cost the daemon ${ms(daemonMore)} more than a plain webhook (the stored delivery job and its request through undici) and the fake Avaya ${ms(fakeMore)} to answer. Avaya's Send Message API takes one message per request, so no batching spreads that. An agent event is a whole accept and send, with the provider's receipts on top (the customer side is a mock that reports \`sent\` and \`delivered\`).`,
    '',
  ];
}

/** The bridge section: targets first, then every round, then what limits the ratios. */
export function renderBridge(s: BridgeSummary, machine: SectionMeta): string {
  const toCc = s.rounds.map((r) => r.toContactCenter.deliveredPerSec / r.plain.perSec);
  const toCust = s.rounds.map((r) => r.toCustomer.sentPerSec / r.plain.perSec);
  const verdict = (ok: boolean) => (ok ? '**pass**' : '**FAIL**');
  const lines = [
    '## Bridge (Avaya Infinity, issue 9)',
    '',
    `_${ranBy(machine, 'bridge')} on ${machine.date}${machine.commit ? ` against \`${machine.commit}\`` : ''}; load average ${machine.loadAvgStart ?? '?'} at the start, ${machine.loadAvgEnd ?? '?'} at the end. The fake Avaya runs in the bench's process (in the throughput rounds it counts requests rather than keeping them), the customer side is a mock instance, the daemon is built JavaScript on the file store. ${s.settings.rounds} rounds of ${s.settings.durationSec} s at ${s.settings.connections} connections; each round starts fresh daemons._`,
    '',
    '| What | Measured | Target | Verdict |',
    '|---|---|---|---|',
    `| Customer inbound webhooks delivered to the contact center per second ÷ plain inbound webhooks/s (no rule), same round | ${median(toCc).toFixed(2)} (rounds ${toCc.map((x) => x.toFixed(2)).join(', ')}) | ≥ 0.7 | ${verdict(median(toCc) >= 0.7)} |`,
    `| Agent events sent to the customer's provider per second ÷ plain inbound webhooks/s, same round | ${median(toCust).toFixed(2)} (rounds ${toCust.map((x) => x.toFixed(2)).join(', ')}) | ≥ 0.7 | ${verdict(median(toCust) >= 0.7)} |`,
    `| Customer webhook acknowledged (200) → contact center received it, p99, at ${s.settings.paceRate}/s | ${n0(s.latency.p99)} ms (p50 ${n0(s.latency.p50)}, p90 ${n0(s.latency.p90)}, max ${n0(s.latency.max)}; ${s.latency.delivered} of ${s.latency.count} matched) | ≤ 50 ms | ${verdict(s.latency.p99 <= 50)} |`,
    '',
    '| Round | Plain inbound/s | Bridged webhooks/s | Delivered to Avaya (per s) | Agent events/s | Sent to provider (per s) | Daemon CPU ms per event: plain / delivered / sent | Bench process CPU ms per event: plain / delivered / sent |',
    '|---|---|---|---|---|---|---|---|',
    ...s.rounds.map((r) => `| ${r.round} | ${n0(r.plain.perSec)} | ${n0(r.toContactCenter.webhooks.perSec)} | ${n0(r.toContactCenter.delivered)} (${n0(r.toContactCenter.deliveredPerSec)}) | ${n0(r.toCustomer.events.perSec)} | ${n0(r.toCustomer.sent)} (${n0(r.toCustomer.sentPerSec)}) | ${r.plainCpuMs.toFixed(2)} / ${r.toContactCenter.cpuMs.toFixed(2)} / ${r.toCustomer.cpuMs.toFixed(2)} | ${r.plainBenchCpuMs.toFixed(2)} / ${r.toContactCenter.benchCpuMs.toFixed(2)} / ${r.toCustomer.benchCpuMs.toFixed(2)} |`),
    '',
    'Delivered per second counts from the load\'s start to the last delivery (the stored jobs drain after the webhooks stop); sent per second likewise to the last provider send. The daemon\'s CPU per event is its user + system time over the same span (delivered: webhooks and deliveries; sent: events and provider sends), divided by the events done. The bench process\'s is its own over the same span: the load generator, and for deliveries the fake Avaya answering them, on the same two cores as the daemon.',
    '',
    ...limits(s),
  ];
  return lines.join('\n');
}
