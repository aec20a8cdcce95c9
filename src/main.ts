#!/usr/bin/env node
/**
 * The process: arguments and exit codes. `start` (signals, listening, shutdown) lives in
 * `cli/start.ts`; everything else is built by createApp().
 *
 *   switchboard start [--config FILE]                 run the gateway (default ./gateway.yaml)
 *   switchboard check [FILE]                          validate a config; exit 1 with file:line:col errors
 *   switchboard reload [--config FILE] [--url URL]    ask the running gateway to reload; exit 1 if refused
 */
import { parseArgs } from 'node:util';
import { checkCommand } from './cli/check.js';
import { reloadCommand } from './cli/reload.js';
import { startCommand } from './cli/start.js';
import { ConfigError, StartupError } from './errors.js';

const USAGE = 'usage: switchboard start [--config FILE] | switchboard check [FILE] | switchboard reload [--config FILE] [--url URL]';

async function main(argv: string[]): Promise<void> {
  const [command = 'start', ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { config: { type: 'string', short: 'c' }, url: { type: 'string' } },
    allowPositionals: true,
  });
  const file = values.config ?? positionals[0] ?? './gateway.yaml';
  const io = { env: process.env, out: (t: string) => process.stdout.write(t), err: (t: string) => process.stderr.write(t) };
  if (command === 'check') {
    process.exitCode = await checkCommand(file, io);
  } else if (command === 'reload') {
    process.exitCode = await reloadCommand({ file, url: values.url }, io);
  } else if (command === 'start') {
    await startCommand(file, process.env);
  } else {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`${err.errors.join('\n')}\n`);
  else if (err instanceof StartupError) process.stderr.write(`switchboard: ${err.message}\n`);
  else process.stderr.write(`switchboard: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
