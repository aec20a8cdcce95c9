/**
 * Issue 14's receipt targets. In alternating rounds: a bare Koa answering the mock provider's status
 * webhook, and a daemon that first accepts 2 × `messages` messages on a route whose mock provider
 * sends no receipts (so every attempt stays open), then takes one `delivered` receipt per message
 * of the newer half over the webhook (warm: the daemon has run since the accept), restarts on the
 * same store, and takes one per message of the older half (cold: nothing cached). Receipts/s ÷
 * Koa is the warm figure; the restart is judged by the longest time with no receipt answered and
 * the first second's rate against the warm rate.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { API_KEY, fileStoreHeader, sendBody } from './config.js';
import { runLoad, type LoadSummary } from './consent-load.js';
import { freePort, ROOT, startChild, type Child } from './procs.js';
import { median } from './report.js';

const TOKEN = 'bench-mock-token';

export interface RestartFigures extends LoadSummary {
  /** Spawn → ready after the restart. */
  readySec: number;
  /** Longest time between two consecutive answers (or from the load's start to the first). */
  longestGapMs: number;
  /** Answers in the first second of the load. */
  firstSecond: number;
}

export interface ReceiptRound {
  round: number;
  koa?: LoadSummary;
  warm?: LoadSummary;
  restart?: RestartFigures;
  /** What stopped part of the round. */
  error?: string;
}

export interface ReceiptSummary {
  settings: { rounds: number; connections: number; messages: number };
  rounds: ReceiptRound[];
}

/** A daemon whose route `silent` sends through mock `m`, which answers sends and sends no receipt of its own. */
export function receiptsConfig(dir: string, port: number): string {
  return `${fileStoreHeader('bench/receipts.ts', dir, port)}providers:
  m: { plugin: mock, channels: [sms], outcome: none, webhookToken: "${TOKEN}" }
routes:
  silent:
    mode: fallback
    steps:
      - { channel: sms, providers: [m], until: delivered, within: 1h }
`;
}

/** Every message's provider id, oldest message first (ids are ULIDs, pages come newest first or oldest first: sorted either way). */
async function providerIds(port: number, want: number): Promise<string[]> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const found: [string, string][] = [];
    let cursor: string | undefined;
    do {
      const res = await fetch(`http://127.0.0.1:${port}/v1/messages?limit=500${cursor ? `&cursor=${cursor}` : ''}`, { headers: { 'x-api-key': API_KEY } });
      const page = (await res.json()) as { items: { id: string; attempts: { providerMessageId?: string }[] }[]; nextCursor?: string };
      for (const m of page.items) {
        const pmid = m.attempts.at(-1)?.providerMessageId;
        if (pmid) found.push([m.id, pmid]);
      }
      cursor = page.nextCursor;
    } while (cursor);
    if (found.length >= want) return found.sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, p]) => p);
    if (Date.now() > deadline) throw new Error(`only ${found.length} of ${want} messages were sent to the mock provider`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Sends `amount` messages on route `silent` and returns their provider ids, oldest first: each attempt stays open. */
export async function openMessages(port: number, amount: number, connections: number): Promise<string[]> {
  const a = await autocannon({ url: `http://127.0.0.1:${port}/v1/messages`, method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY }, body: sendBody('silent'), connections, amount, timeout: 30 });
  if (a['2xx'] !== amount) throw new Error(`${a['2xx']} of ${amount} messages accepted`);
  return providerIds(port, amount);
}

/** One `delivered` receipt per id over the mock's status webhook; `durationMs` stops it early. */
export const receipts = (port: number, ids: string[], connections: number, onAnswer?: (at: number) => void, durationMs?: number) =>
  runLoad({
    port, path: '/webhooks/m/status', connections, amount: ids.length, durationMs, headers: { 'x-mock-token': TOKEN },
    body: (i) => JSON.stringify({ messageId: ids[i], status: 'delivered' }),
    onAnswer: onAnswer && ((a) => onAnswer(a.at)),
  });

async function daemonRound(dir: string, daemon: { cmd: string; args: string[] }, o: { messages: number; connections: number }): Promise<{ warm: LoadSummary; restart: RestartFigures }> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const config = join(dir, 'gateway.yaml');
  writeFileSync(config, receiptsConfig(dir, port));
  const start = () => startChild({ name: 'receipts', cmd: daemon.cmd, args: [...daemon.args, 'start', '--config', config], cwd: dir, port, readyPath: '/-/ready', logFile: join(dir, 'daemon.log'), readyTimeoutMs: 300_000 });
  let d: Child = await start();
  try {
    const ids = await openMessages(port, 2 * o.messages, o.connections);
    const warm = await receipts(port, ids.slice(o.messages), o.connections);
    await d.stop();
    const t0 = Date.now();
    d = await start();
    const readySec = (Date.now() - t0) / 1000;
    const begin = Date.now();
    let last = begin;
    let longestGapMs = 0;
    let firstSecond = 0;
    const cold = await receipts(port, ids.slice(0, o.messages), o.connections, (at) => {
      longestGapMs = Math.max(longestGapMs, at - last);
      last = at;
      if (at - begin < 1000) firstSecond++;
    });
    return { warm, restart: { ...cold, readySec, longestGapMs, firstSecond } };
  } finally {
    await d.stop();
  }
}

async function koaRound(dir: string, o: { messages: number; connections: number }): Promise<LoadSummary> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const c = await startChild({ name: 'koa', cmd: process.execPath, args: ['--import', 'tsx', join(ROOT, 'bench/baseline-server.ts'), String(port)], cwd: dir, port, readyPath: '/', logFile: join(dir, 'server.log') });
  try {
    // Warm-up as long as the daemon's accept phase is not, but enough for the JIT.
    await receipts(port, Array.from({ length: Math.min(5000, o.messages) }, (_, i) => `warm-${i}`), o.connections);
    return await receipts(port, Array.from({ length: o.messages }, (_, i) => `mock-${i}`), o.connections);
  } finally {
    await c.stop();
  }
}

export async function runReceiptBench(o: { dir: string; daemon: { cmd: string; args: string[] }; log: (line: string) => void; rounds: number; connections: number; messages: number }): Promise<ReceiptSummary> {
  const rounds: ReceiptRound[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    const r: ReceiptRound = { round };
    const order = round % 2 === 1 ? (['koa', 'daemon'] as const) : (['daemon', 'koa'] as const);
    for (const which of order) {
      const dir = join(o.dir, `r${round}-${which}`);
      try {
        if (which === 'koa') r.koa = await koaRound(dir, o);
        else Object.assign(r, await daemonRound(dir, o.daemon, o));
      } catch (err) {
        r.error = `${which}: ${(err as Error).message}`;
      }
      rmSync(dir, { recursive: true, force: true });
    }
    rounds.push(r);
    o.log(`receipts round ${round}: koa ${r.koa?.perSec.toFixed(0) ?? '–'}/s, warm ${r.warm?.perSec.toFixed(0) ?? '–'}/s (${r.warm?.failed ?? '–'} refused), after restart ${r.restart?.perSec.toFixed(0) ?? '–'}/s, longest gap ${r.restart?.longestGapMs ?? '–'} ms${r.error ? `; ${r.error}` : ''}`);
  }
  return { settings: { rounds: o.rounds, connections: o.connections, messages: o.messages }, rounds };
}

export function renderReceipts(s: ReceiptSummary): string[] {
  const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
  const verdict = (ok: boolean) => (ok ? '**pass**' : '**FAIL**');
  const both = s.rounds.filter((r) => r.koa && r.warm && r.restart);
  if (both.length === 0) return ['### Receipt webhooks', '', `Not measured: ${s.rounds.map((r) => r.error).filter(Boolean).join('; ')}`, ''];
  const koa = median(both.map((r) => r.koa!.perSec));
  const warm = median(both.map((r) => r.warm!.perSec));
  const cold = median(both.map((r) => r.restart!.perSec));
  const gap = Math.max(...both.map((r) => r.restart!.longestGapMs));
  const ratio = warm / koa;
  return [
    '### Receipt webhooks, and after a restart',
    '',
    `Each round: a daemon accepts ${n0(2 * s.settings.messages)} messages on a route whose mock provider sends no receipts, then takes one \`delivered\` receipt per message of the newer ${n0(s.settings.messages)} on the mock's status webhook (warm), restarts on the same store and takes one per message of the older ${n0(s.settings.messages)} (after the restart: nothing cached). Koa parses the same bodies and answers 200. ${s.settings.connections} keep-alive connections (bench/consent-load.ts), ${s.settings.rounds} alternating rounds. "Stall" is read from the longest time between two consecutive answers after the restart (the first counted from the load's start), and the first second's answers against the warm rate; no threshold is given by the issue, so both are reported as measured.`,
    '',
    '| What | Measured | Target | Verdict |',
    '|---|---|---|---|',
    `| Webhook receipts/s ÷ bare Koa + koa-bodyparser | ${ratio.toFixed(2)} (${n0(warm)} vs ${n0(koa)}/s; rounds ${both.map((r) => (r.warm!.perSec / r.koa!.perSec).toFixed(2)).join(', ')}) | ≥ 0.4 | ${verdict(ratio >= 0.4)} |`,
    `| Receipts/s right after a restart ÷ warm | ${(cold / warm).toFixed(2)} (${n0(cold)}/s; longest gap between answers ${n0(gap)} ms, worst round; first second ${both.map((r) => n0(r.restart!.firstSecond)).join(', ')} answers) | no stall | – |`,
    '',
    '| Round | Koa /s | Warm /s (p99) | After restart /s (p99) | Ready after restart | Longest gap | Refused warm / after |',
    '|---|---|---|---|---|---|---|',
    ...s.rounds.map((r) => `| ${r.round} | ${r.koa ? n0(r.koa.perSec) : '–'} | ${r.warm ? `${n0(r.warm.perSec)} (${r.warm.latencyP99Ms.toFixed(0)} ms)` : '–'} | ${r.restart ? `${n0(r.restart.perSec)} (${r.restart.latencyP99Ms.toFixed(0)} ms)` : '–'} | ${r.restart ? `${r.restart.readySec.toFixed(1)} s` : '–'} | ${r.restart ? `${n0(r.restart.longestGapMs)} ms` : '–'} | ${r.warm?.failed ?? '–'} / ${r.restart?.failed ?? '–'} |`),
    ...s.rounds.filter((r) => r.error).map((r) => `\nRound ${r.round} not measured in full: ${r.error}`),
    '',
  ];
}
