/**
 * Issue 14's reload target: sends keep their latency while a large `gateway.yaml` is reloaded. A
 * daemon (file store) runs a 1,000-route file and takes sends at a fixed rate, well under what it
 * can take, so latency shows stalls rather than a queue. Each round has two phases of the same
 * length, in alternating order: no reloads, and a reload every `everyMs` (the file rewritten with
 * a new comment first, so every reload reads, parses and validates it anew). Both phases' p99 send
 * latency, the longest event-loop stall the daemon reported (scraped every second), and how long
 * each reload took to answer.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_KEY, fileStoreHeader } from './config.js';
import { paced, type LoadResult } from './load.js';
import { gauge, percentile, scrape } from './metrics.js';
import { freePort, startChild } from './procs.js';
import { median } from './report.js';

export interface ReloadPhase {
  round: number;
  reloads: boolean;
  load: LoadResult;
  /** Longest event-loop stall the daemon reported over the phase (ms). */
  loopLagMaxMs: number;
  /** Time each reload took to answer (ms), and how many were refused or failed. */
  reloadMs: number[];
  reloadFailures: number;
}

export interface ReloadSummary {
  settings: { routes: number; fileChars: number; ratePerSec: number; durationSec: number; everyMs: number; rounds: number };
  phases: ReloadPhase[];
  /** Median over rounds of (p99 with reloads ÷ p99 without). */
  p99Ratio: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A gateway.yaml with `routes` one-step SMS routes besides the `bench` route the load sends on. */
export function manyRoutesConfig(dir: string, port: number, routes: number): string {
  const lines = [fileStoreHeader('bench/reload.ts', dir, port), 'providers:', '  mock-sms: { plugin: mock, channels: [sms], outcome: delivered, after: 1s }', 'routes:', '  bench:', '    steps:', '      - { channel: sms, providers: [mock-sms], until: delivered, within: 30s }'];
  for (let i = 0; i < routes; i++) {
    lines.push(`  route-${i}:`, '    mode: fallback', '    steps:', `      - { channel: sms, providers: [mock-sms], until: ${i % 2 === 0 ? 'sent' : 'delivered'}, within: ${30 + (i % 60)}s }`);
  }
  return `${lines.join('\n')}\n`;
}

async function runPhase(o: { port: number; file: string; round: number; reloads: boolean; ratePerSec: number; durationSec: number; everyMs: number }): Promise<ReloadPhase> {
  let done = false;
  let loopLagMaxMs = 0;
  const reloadMs: number[] = [];
  let reloadFailures = 0;
  await scrape(o.port); // prom-client's max stall counts from the last scrape
  const watcher = (async () => {
    while (!done) {
      await sleep(1000);
      loopLagMaxMs = Math.max(loopLagMaxMs, (gauge(await scrape(o.port), 'nodejs_eventloop_lag_max_seconds') ?? 0) * 1000);
    }
  })();
  const reloader = (async () => {
    const text = readFileSync(o.file, 'utf8');
    for (let n = 0; o.reloads && !done; n++) {
      await sleep(o.everyMs);
      if (done) break;
      writeFileSync(o.file, `${text}# reload ${o.round}.${n}\n`);
      const t = performance.now();
      const res = await fetch(`http://127.0.0.1:${o.port}/-/reload`, { method: 'POST', headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' }, body: '{}' }).catch(() => undefined);
      reloadMs.push(performance.now() - t);
      if (res?.status !== 200) reloadFailures += 1;
      await res?.arrayBuffer();
    }
  })();
  const load = await paced(o.port, { ratePerSec: o.ratePerSec, durationSec: o.durationSec, connections: 20 });
  done = true;
  await Promise.all([watcher, reloader]);
  return { round: o.round, reloads: o.reloads, load, loopLagMaxMs, reloadMs, reloadFailures };
}

export async function runReloadBench(o: { dir: string; daemon: { cmd: string; args: string[] }; log: (line: string) => void; routes: number; ratePerSec: number; durationSec: number; everyMs: number; rounds: number }): Promise<ReloadSummary> {
  mkdirSync(o.dir, { recursive: true });
  const port = await freePort();
  const file = join(o.dir, 'gateway.yaml');
  const config = manyRoutesConfig(o.dir, port, o.routes);
  writeFileSync(file, config);
  const d = await startChild({ name: 'reload', cmd: o.daemon.cmd, cwd: o.dir, port, readyPath: '/-/ready', logFile: join(o.dir, 'daemon.log'), args: [...o.daemon.args, 'start', '--config', file] });
  const phases: ReloadPhase[] = [];
  try {
    // Warm-up: the JIT has seen sends and a reload before anything is measured.
    await runPhase({ port, file, round: 0, reloads: true, ratePerSec: o.ratePerSec, durationSec: 3, everyMs: o.everyMs });
    for (let round = 1; round <= o.rounds; round++) {
      for (const reloads of round % 2 === 1 ? [false, true] : [true, false]) {
        const p = await runPhase({ port, file, round, reloads, ratePerSec: o.ratePerSec, durationSec: o.durationSec, everyMs: o.everyMs });
        phases.push(p);
        o.log(`reload ${round} ${reloads ? 'reloading ' : 'no reloads'}  ${p.load.acceptsPerSec.toFixed(0)}/s  p99 ${p.load.latencyP99Ms} ms  loop stall max ${p.loopLagMaxMs.toFixed(0)} ms${reloads ? `  ${p.reloadMs.length} reloads, p50 ${percentile(p.reloadMs, 0.5).toFixed(0)} ms, refused ${p.reloadFailures}` : ''}`);
      }
    }
  } finally {
    await d.stop();
    rmSync(o.dir, { recursive: true, force: true });
  }
  return { settings: { routes: o.routes, fileChars: config.length, ratePerSec: o.ratePerSec, durationSec: o.durationSec, everyMs: o.everyMs, rounds: o.rounds }, phases, p99Ratio: p99Ratio(phases) };
}

/** Median over rounds of (p99 with reloads ÷ p99 without, same round); a p99 under 1 ms counts as 1 ms. */
export function p99Ratio(phases: readonly ReloadPhase[]): number {
  const rounds = [...new Set(phases.map((p) => p.round))];
  const of = (round: number, reloads: boolean) => phases.find((p) => p.round === round && p.reloads === reloads)?.load.latencyP99Ms ?? NaN;
  return median(rounds.map((r) => of(r, true) / Math.max(1, of(r, false))));
}

export function renderReload(s: ReloadSummary): string[] {
  const n = (x: number) => x.toLocaleString('en-US');
  const { settings: c } = s;
  const reloading = s.phases.filter((p) => p.reloads);
  const all = reloading.flatMap((p) => p.reloadMs);
  return [
    '### Sends during reloads',
    '',
    `One daemon on the file store with a ${n(c.routes)}-route \`gateway.yaml\` (${n(c.fileChars)} characters, so it is parsed on the worker thread) took sends at ${n(c.ratePerSec)}/s from 20 connections (autocannon, fixed rate). Each of ${c.rounds} rounds: ${c.durationSec} s without reloads and ${c.durationSec} s with \`POST /-/reload\` every ${c.everyMs} ms, the file rewritten with a new comment before each, in alternating order after a 3 s warm-up that reloads too.`,
    '',
    '| What | Measured | Target | Verdict |',
    '|---|---|---|---|',
    `| p99 send latency while reloading ÷ without, same round (median) | ${s.p99Ratio.toFixed(2)} | ≤ 2 | ${s.p99Ratio <= 2 ? '**pass**' : '**FAIL**'} |`,
    '',
    '| Round | Reloads | Sends/s | p50 / p99 latency | Longest loop stall | Reloads answered (p50 / max) | Refused |',
    '|---|---|---|---|---|---|---|',
    ...s.phases.map((p) => `| ${p.round} | ${p.reloads ? `every ${c.everyMs} ms` : 'none'} | ${n(Math.round(p.load.acceptsPerSec))} | ${p.load.latencyP50Ms} / ${p.load.latencyP99Ms} ms | ${p.loopLagMaxMs.toFixed(0)} ms | ${p.reloads ? `${p.reloadMs.length} (${percentile(p.reloadMs, 0.5).toFixed(0)} / ${Math.max(...p.reloadMs).toFixed(0)} ms)` : '–'} | ${p.reloads ? p.reloadFailures : '–'} |`),
    '',
    `Over all ${n(all.length)} reloads: answered p50 ${all.length ? percentile(all, 0.5).toFixed(0) : '–'} ms, p99 ${all.length ? percentile(all, 0.99).toFixed(0) : '–'} ms.`,
    '',
  ];
}
