#!/usr/bin/env node
/**
 * The process: arguments, signals, listening, shutdown. Everything else is built by createApp().
 *
 *   switchboard start [--config FILE]   run the gateway (default ./gateway.yaml)
 *   switchboard check [FILE]            validate a config; exit 1 with file:line:col errors
 */
import { parseArgs } from 'node:util';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createApp } from './app.js';
import { loadConfig } from './config/load.js';
import { ConfigError } from './errors.js';
import { createMetrics } from './metrics/metrics.js';
import { builtinPlugins } from './registry.js';
import { buildRuntime } from './runtime/runtime.js';
import { systemClock } from './clock.js';

const USAGE = 'usage: switchboard start [--config FILE] | switchboard check [FILE]';

async function check(file: string): Promise<number> {
  try {
    const loaded = await loadConfig(file, { env: process.env, builtins: builtinPlugins });
    const logger = pino({ level: 'silent' });
    buildRuntime(loaded, { logger, clock: systemClock, metrics: createMetrics(new Registry(), { defaults: false }), loopback: async () => {} });
    const { providers, routes } = loaded.config;
    process.stdout.write(`${file}: ok (${Object.keys(providers).length} providers, ${Object.keys(routes).length} routes, hash ${loaded.hash.slice(0, 12)})\n`);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.errors.join('\n')}\n`);
      return 1;
    }
    throw err;
  }
}

async function start(file: string): Promise<void> {
  const app = await createApp({ configFile: file, env: process.env });
  process.on('SIGHUP', () => void app.reload());
  process.on('unhandledRejection', (err) => app.logger.error({ err }, 'unhandled rejection'));
  const { host, port } = app.runtime().loaded.config.server;
  await app.start();
  const server: Server = app.http.listen(port, host);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const bound = server.address();
  app.logger.info({ host, port: typeof bound === 'object' && bound ? bound.port : port, config: file }, 'switchboard listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down');
    server.close();
    server.closeIdleConnections();
    void app.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(argv: string[]): Promise<void> {
  const [command = 'start', ...rest] = argv;
  const { values, positionals } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' } }, allowPositionals: true });
  const file = values.config ?? positionals[0] ?? './gateway.yaml';
  if (command === 'check') {
    process.exitCode = await check(file);
  } else if (command === 'start') {
    await start(file);
  } else {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`${err.errors.join('\n')}\n`);
  else process.stderr.write(`switchboard: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
