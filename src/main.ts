#!/usr/bin/env -S node --max-semi-space-size=32
/**
 * The process: arguments, signals for client commands, exit codes. What each command does lives
 * in `cli/` (`cli/run.ts` lists them; `switchboard --help` prints them).
 */
import { runCli } from './cli/run.js';

const argv = process.argv.slice(2);
const stop = new AbortController();
// `tail` ends cleanly on Ctrl-C; every other command keeps Node's default (die at once), and
// `start` installs its own graceful shutdown.
if (argv[0] === 'tail') process.once('SIGINT', () => stop.abort());

const io = {
  env: process.env,
  out: (t: string) => process.stdout.write(t),
  err: (t: string) => process.stderr.write(t),
  signal: stop.signal,
};

runCli(argv, io).then(
  (code) => {
    // A failed start may leave handles open (a store half opened): do not linger on them.
    if (code !== 0) process.exit(code);
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`switchboard: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
