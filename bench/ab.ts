/**
 * Two builds side by side, for a change too small to see through this machine's noise:
 * `npm run bench:ab -- <rev-a> <rev-b> [accepts|receipts] [rounds]` (`.` is the working tree).
 *
 * Each round starts a daemon of each build on its own empty store and loads both at the same
 * moments: `accepts` splits 100 connections between them for 10 s (after a 2 s warm-up);
 * `receipts` first opens BENCH_AB_MESSAGES messages in each, then sends both `delivered` receipts
 * from 50 connections each for 8 s. Which side starts first alternates between rounds. Other
 * tenants and clock changes then slow both alike, so B ÷ A of one round holds where a rate measured
 * alone swings by a third from minute to minute. An A/A run (one rev twice) shows the noise that
 * is left (±4 % here). Prints each round and the median; BENCHMARKS.md is not touched.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { measureAcceptsSplit } from './load.js';
import { freePort, ROOT, startChild, startNodeFlags, WORK, type Child } from './procs.js';
import { openMessages, receipts, receiptsConfig } from './receipts.js';
import { median } from './report.js';

const [revA, revB, scenario = 'accepts', roundsArg = '3'] = process.argv.slice(2);
if (!revA || !revB || !['accepts', 'receipts'].includes(scenario)) {
  process.stderr.write('usage: npm run bench:ab -- <rev-a> <rev-b> [accepts|receipts] [rounds]\n');
  process.exit(2);
}
const MESSAGES = Number(process.env.BENCH_AB_MESSAGES ?? 40_000);
const git = (...args: string[]) => execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).trim();

/** Bundles `rev` as `npm run build` would (a detached worktree for a commit) into `.bench/ab/<side>`; gives the node arguments that run it. */
function bundle(rev: string, side: string): string[] {
  const out = join(WORK, 'ab', side);
  rmSync(out, { recursive: true, force: true });
  let source = ROOT;
  if (rev !== '.') {
    source = join(WORK, 'ab', `${side}-src`);
    if (existsSync(source)) git('worktree', 'remove', '--force', source);
    git('worktree', 'add', '--detach', source, git('rev-parse', '--verify', `${rev}^{commit}`));
    symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'));
  }
  try {
    execFileSync(process.execPath, [join(source, 'scripts/bundle.mjs'), out], { stdio: 'inherit' });
    // Each side runs with the node flags its own `npm start` gives.
    return [...startNodeFlags(source), join(out, 'main.js')];
  } finally {
    if (source !== ROOT) git('worktree', 'remove', '--force', source);
  }
}

async function start(side: string, main: string[]) {
  const dir = join(WORK, 'ab', `${side}-run`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  writeFileSync(join(dir, 'gateway.yaml'), receiptsConfig(dir, port));
  const child = await startChild({ name: `ab-${side}`, cmd: process.execPath, args: [...main, 'start', '--config', join(dir, 'gateway.yaml')], cwd: dir, port, readyPath: '/-/ready', logFile: join(dir, 'daemon.log'), readyTimeoutMs: 120_000 });
  return { child, port };
}

const mains = [bundle(revA, 'a'), bundle(revB, 'b')];
const ratios: number[] = [];
for (let round = 1; round <= Number(roundsArg); round++) {
  // Whichever side starts and is loaded first has a small edge (a few per cent): it alternates.
  const order = round % 2 === 1 ? [0, 1] : [1, 0];
  const daemons: { child: Child; port: number }[] = [];
  for (const i of order) daemons[i] = await start(i === 0 ? 'a' : 'b', mains[i]);
  try {
    const ports = order.map((i) => daemons[i].port);
    let inOrder: number[];
    if (scenario === 'accepts') {
      const r = await measureAcceptsSplit(ports, { connections: 100, warmupSec: 2, durationSec: 10, route: 'silent' });
      inOrder = r.perServer.map((s) => s.acceptsPerSec);
    } else {
      const ids = await Promise.all(ports.map((port) => openMessages(port, MESSAGES, 50)));
      const r = await Promise.all(ports.map((port, k) => receipts(port, ids[k], 50, undefined, 8000)));
      inOrder = r.map((s) => s.perSec);
    }
    const rates = [0, 1].map((i) => inOrder[order.indexOf(i)]);
    ratios.push(rates[1] / rates[0]);
    console.log(`round ${round}: A ${rates[0].toFixed(0)}/s, B ${rates[1].toFixed(0)}/s, B ÷ A ${(rates[1] / rates[0]).toFixed(3)}`);
  } finally {
    await Promise.all(daemons.map((d) => d.child.stop()));
  }
}
console.log(`${scenario}, ${revA} (A) against ${revB} (B): median B ÷ A ${median(ratios).toFixed(3)} (rounds ${ratios.map((r) => r.toFixed(3)).join(', ')})`);
process.exit(0);
