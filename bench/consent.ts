/**
 * The consent scenarios of issue 8: (a) 10,000 users each with a held WhatsApp message, then their
 * replies through the mock's inbound webhook — from a reply's 200 to its held message's send;
 * (b) inbound webhook throughput with a consent policy configured ÷ the same webhook without one,
 * rounds alternating in one run; (c) heap per open window with 1,000,000 windows in the file store,
 * filled and reopened (bench/windows-memory.ts in a child with --expose-gc).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_KEY, fileStoreHeader } from './config.js';
import { runLoad, type LoadSummary } from './consent-load.js';
import { tallyLog, type LogTally } from './logs.js';
import { gauge, percentile, scrape } from './metrics.js';
import { freePort, ROOT, startChild, type Child } from './procs.js';

/** The business number of the mock WhatsApp instance: inbound to it opens windows. */
export const BUSINESS = '+14155550000';
const user = (i: number) => `+1555${String(i).padStart(7, '0')}`;

/**
 * `consent`: route `bench` is WhatsApp guarded by a consent policy (hold 1 h, so nothing expires
 * while measured), then SMS. `plain`: the same providers and route without any consent step or
 * policy. The mock delivers after 1 s, so receipts arrive during the run as they would.
 */
function writeConsentConfig(dir: string, port: number, kind: 'consent' | 'plain'): string {
  const consent = kind === 'consent';
  const yaml = `${fileStoreHeader('bench/consent.ts', dir, port)}providers:
  mock-wa: { plugin: mock, channels: [whatsapp], from: "${BUSINESS}", outcome: delivered, after: 1s }
  mock-sms: { plugin: mock, channels: [sms], outcome: delivered, after: 1s }
${consent ? `consent:
  optin:
    window: 24h
    hold: 1h
    optIn:
      default: { name: reconnect, language: en }
    onExpiry: fallback
` : ''}routes:
  bench:
    steps:
      - { channel: whatsapp, providers: [mock-wa],${consent ? ' consent: optin,' : ''} until: delivered, within: 1h }
      - { channel: sms, providers: [mock-sms], until: delivered, within: 1h }
`;
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, yaml);
  return file;
}

async function startDaemon(dir: string, daemon: { cmd: string; args: string[] }, kind: 'consent' | 'plain', name: string): Promise<Child> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const config = writeConsentConfig(dir, port, kind);
  return startChild({ name, cmd: daemon.cmd, args: [...daemon.args, 'start', '--config', config], cwd: dir, port, readyPath: '/-/ready', logFile: join(dir, 'daemon.log') });
}

// Not a keyword (YES would opt the user back in): only the consent policy has work to do.
const inboundBody = (i: number, users: number) => JSON.stringify({ from: user(i % users), to: BUSINESS, text: 'Thanks!', channel: 'whatsapp' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls a counter until it reaches `want`, or stops moving for `stallMs`, or `capMs` passed. */
async function waitForCount(port: number, read: (metrics: string) => number, want: number, stallMs: number, capMs: number): Promise<number> {
  const start = Date.now();
  let last = -1;
  let lastMove = Date.now();
  for (;;) {
    const n = read(await scrape(port));
    if (n >= want) return n;
    if (n !== last) {
      last = n;
      lastMove = Date.now();
    }
    if (Date.now() - lastMove > stallMs || Date.now() - start > capMs) return n;
    await sleep(500);
  }
}

interface Attempt { step: number; purpose?: string; createdAt: string }
interface Msg { status: string; attempts: Attempt[]; history: { at: string; event: string }[] }

async function getMessage(port: number, id: string): Promise<Msg | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/messages/${id}`, { headers: { 'x-api-key': API_KEY }, signal: AbortSignal.timeout(60_000) });
  return res.ok ? ((await res.json()) as Msg) : undefined;
}

export interface ReleaseResult {
  users: number;
  submitted: LoadSummary;
  /** The held-messages gauge before the replies (and how long holding all took), opt-in templates sent. */
  heldBefore: number;
  holdSec: number;
  optInTemplates: number;
  replyRatePerSec: number;
  replies: LoadSummary;
  releasesCounted: number;
  /** Messages whose step 0 has a send of its own after the reply (not the opt-in template). */
  released: number;
  missing: number;
  /** ms from the reply's 200 to the released attempt's `createdAt` (negative: released before the 200). */
  toSend: { p50: number; p90: number; p99: number; max: number; min: number; negative: number };
  /** ms from the reply's 200 to the `released` history entry. */
  toRelease: { p50: number; p99: number };
  rssEnd: number;
  cpuSecReplies: number;
  daemonLog: LogTally[];
}

const summary = (xs: number[]) => ({ p50: percentile(xs, 0.5), p90: percentile(xs, 0.9), p99: percentile(xs, 0.99), max: xs.length ? Math.max(...xs) : NaN, min: xs.length ? Math.min(...xs) : NaN, negative: xs.filter((x) => x < 0).length });

/** (a): N held messages, then N replies at `replyRate`/s; every message is read back. */
export async function runRelease(o: { dir: string; daemon: { cmd: string; args: string[] }; users: number; replyRate: number; connections: number; log: (l: string) => void }): Promise<ReleaseResult> {
  const d = await startDaemon(o.dir, o.daemon, 'consent', 'daemon-consent');
  try {
    const ids: string[] = new Array(o.users);
    o.log(`consent: submitting ${o.users} messages to users who never wrote`);
    const holdStart = Date.now();
    const submitted = await runLoad({
      port: d.port, path: '/v1/messages', headers: { 'x-api-key': API_KEY }, connections: o.connections, amount: o.users,
      body: (i) => JSON.stringify({ route: 'bench', to: { whatsapp: user(i) }, content: { text: `Your order ${i} has shipped.` } }),
      onAnswer: (a) => {
        if (a.status === 202) ids[a.index] = (JSON.parse(a.body) as { id: string }).id;
      },
    });
    const heldBefore = await waitForCount(d.port, (m) => gauge(m, 'switchboard_held_messages') ?? 0, o.users, 10_000, 180_000);
    const holdSec = (Date.now() - holdStart) / 1000;
    const metrics = await scrape(d.port);
    const optInTemplates = gauge(metrics, 'switchboard_consent_optin_templates_total') ?? 0;
    o.log(`consent: ${submitted.ok} accepted (${submitted.perSec.toFixed(0)}/s), ${heldBefore} held, ${optInTemplates} opt-in templates after ${holdSec.toFixed(0)} s`);

    const ackAt: number[] = new Array(o.users);
    const cpu0 = d.cpuSeconds();
    o.log(`consent: ${o.users} replies through POST /webhooks/mock-wa/inbound at ${o.replyRate}/s`);
    const replies = await runLoad({
      port: d.port, path: '/webhooks/mock-wa/inbound', connections: o.connections, amount: o.users, ratePerSec: o.replyRate,
      body: (i) => inboundBody(i, o.users),
      onAnswer: (a) => {
        if (a.status === 200) ackAt[a.index] = a.at;
      },
    });
    const releasesCounted = await waitForCount(d.port, (m) => gauge(m, 'switchboard_consent_releases_total') ?? 0, o.users, 10_000, 120_000);
    const cpuSecReplies = d.cpuSeconds() - cpu0;
    o.log(`consent: ${replies.ok} replies acknowledged (${replies.perSec.toFixed(0)}/s, p99 ${replies.latencyP99Ms.toFixed(0)} ms), ${releasesCounted} releases counted; reading the messages`);

    const toSend: number[] = [];
    const toRelease: number[] = [];
    let missing = 0;
    for (let i = 0; i < o.users; i += 20) {
      const batch = await Promise.all(ids.slice(i, i + 20).map((id) => (id ? getMessage(d.port, id) : undefined)));
      batch.forEach((m, k) => {
        const ack = ackAt[i + k];
        // Only a send after a release counts: a message that was never held has its send too.
        const released = m?.history.find((h) => h.event === 'released');
        const sent = released && m?.attempts.find((a) => a.step === 0 && a.purpose !== 'optin' && a.createdAt >= released.at);
        if (!released || !sent || ack === undefined) {
          missing += 1;
          return;
        }
        toSend.push(Date.parse(sent.createdAt) - ack);
        toRelease.push(Date.parse(released.at) - ack);
      });
    }
    const s = summary(toSend);
    return {
      users: o.users, submitted, heldBefore, holdSec, optInTemplates, replyRatePerSec: o.replyRate, replies, releasesCounted,
      released: toSend.length, missing, toSend: s, toRelease: { p50: percentile(toRelease, 0.5), p99: percentile(toRelease, 0.99) },
      rssEnd: d.memory().rss, cpuSecReplies, daemonLog: tallyLog(d.logFile),
    };
  } finally {
    await d.stop();
  }
}

export interface WebhookRun {
  kind: 'consent' | 'plain';
  round: number;
  load: LoadSummary;
  cpuMsPerRequest: number;
}

/** (b): closed-loop inbound load on a fresh daemon of each kind per round, alternating order. */
export async function runWebhookRounds(o: { dir: string; daemon: { cmd: string; args: string[] }; rounds: number; users: number; connections: number; warmupSec: number; durationSec: number; log: (l: string) => void }): Promise<WebhookRun[]> {
  const runs: WebhookRun[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    const order: WebhookRun['kind'][] = round % 2 ? ['consent', 'plain'] : ['plain', 'consent'];
    for (const kind of order) {
      const dir = join(o.dir, `webhook-r${round}-${kind}`);
      const d = await startDaemon(dir, o.daemon, kind, `daemon-${kind}`);
      try {
        const base = { port: d.port, path: '/webhooks/mock-wa/inbound', connections: o.connections, body: (i: number) => inboundBody(i, o.users) };
        await runLoad({ ...base, durationMs: o.warmupSec * 1000 });
        const cpu0 = d.cpuSeconds();
        const load = await runLoad({ ...base, durationMs: o.durationSec * 1000 });
        const cpuMsPerRequest = ((d.cpuSeconds() - cpu0) * 1000) / Math.max(1, load.ok);
        runs.push({ kind, round, load, cpuMsPerRequest });
        o.log(`consent: round ${round} webhook ${kind.padEnd(7)} ${load.perSec.toFixed(0).padStart(6)}/s  p99 ${load.latencyP99Ms.toFixed(0)} ms  failed ${load.failed}  CPU ${cpuMsPerRequest.toFixed(2)} ms/req`);
      } finally {
        await d.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return runs;
}

export interface WindowsMemory {
  windows: number;
  keyExample: string;
  /** Heap the windows added to an open store, after a full GC. */
  fill: { bytesPerWindow: number; heapDeltaBytes: number; fillSec: number; peakRssBytes: number };
  /** A fresh process opening the same store (snapshot + journal), less an empty store's open. */
  reopen: { bytesPerWindow: number; heapDeltaBytes: number; openSec: number; peakRssBytes: number };
  bytesOnDisk: Record<string, number>;
}

function windowsChild(mode: 'fill' | 'reopen', dir: string, count: number): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(ROOT, 'bench/windows-memory.ts'), mode, dir, String(count)], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`windows-memory ${mode}: exit ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

/** (c): fill, then reopen in a fresh process. */
export function runWindowsMemory(o: { dir: string; windows: number }): WindowsMemory {
  mkdirSync(o.dir, { recursive: true });
  const fill = windowsChild('fill', o.dir, o.windows);
  const reopen = windowsChild('reopen', o.dir, o.windows);
  const n = (x: unknown) => Number(x);
  const reopenDelta = n(reopen.heapDeltaBytes) - n(fill.emptyOpenHeapBytes);
  return {
    windows: n(reopen.windows),
    keyExample: String(fill.keyExample),
    fill: { bytesPerWindow: n(fill.heapDeltaBytes) / n(fill.windows), heapDeltaBytes: n(fill.heapDeltaBytes), fillSec: n(fill.fillMs) / 1000, peakRssBytes: n(fill.peakRssBytes) },
    reopen: { bytesPerWindow: reopenDelta / n(reopen.windows), heapDeltaBytes: reopenDelta, openSec: n(reopen.openMs) / 1000, peakRssBytes: n(reopen.peakRssBytes) },
    bytesOnDisk: fill.bytesOnDisk as Record<string, number>,
  };
}

export interface ConsentSummary {
  settings: { users: number; replyRate: number; connections: number; rounds: number; warmupSec: number; durationSec: number; windows: number };
  release?: ReleaseResult;
  releaseError?: string;
  webhook: WebhookRun[];
  webhookError?: string;
  windows?: WindowsMemory;
  windowsError?: string;
}

/** All three, each bounded and each allowed to fail alone (its error is reported). */
export async function runConsentBench(o: { dir: string; daemon: { cmd: string; args: string[] }; settings: ConsentSummary['settings']; log: (l: string) => void }): Promise<ConsentSummary> {
  const s = o.settings;
  const out: ConsentSummary = { settings: s, webhook: [] };
  try {
    out.release = await runRelease({ dir: join(o.dir, 'release'), daemon: o.daemon, users: s.users, replyRate: s.replyRate, connections: s.connections, log: o.log });
    const r = out.release.toSend;
    o.log(`consent: reply 200 → held message sent: p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms (${out.release.released} of ${s.users}; ${out.release.missing} missing)`);
  } catch (err) {
    out.releaseError = (err as Error).message;
    o.log(`consent: release scenario failed: ${out.releaseError}`);
  }
  rmSync(join(o.dir, 'release'), { recursive: true, force: true });
  try {
    out.webhook = await runWebhookRounds({ dir: o.dir, daemon: o.daemon, rounds: s.rounds, users: s.users, connections: s.connections, warmupSec: s.warmupSec, durationSec: s.durationSec, log: o.log });
  } catch (err) {
    out.webhookError = (err as Error).message;
    o.log(`consent: webhook throughput failed: ${out.webhookError}`);
  }
  try {
    o.log(`consent: heap per window with ${s.windows.toLocaleString('en-US')} windows (file store, fill then reopen)`);
    out.windows = runWindowsMemory({ dir: join(o.dir, 'windows'), windows: s.windows });
    o.log(`consent: ${out.windows.fill.bytesPerWindow.toFixed(0)} B/window filled, ${out.windows.reopen.bytesPerWindow.toFixed(0)} B/window reopened (open ${out.windows.reopen.openSec.toFixed(1)} s)`);
  } catch (err) {
    out.windowsError = (err as Error).message;
    o.log(`consent: window memory failed: ${out.windowsError}`);
  }
  rmSync(join(o.dir, 'windows'), { recursive: true, force: true });
  return out;
}
