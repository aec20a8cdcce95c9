import { createApp, type App } from '../app.js';
import { parseDuration } from '../config/duration.js';
import { loadConfig } from '../config/load.js';
import { startHeapTrim } from '../memory/heap-trim.js';
import { builtinPlugins } from '../registry.js';
import { applyServerLimits, closeGracefully, createGatewayServer, listen } from './server.js';

/**
 * `switchboard start`: load the config, bind the port, and only then open the store and recover
 * (a second instance that cannot bind leaves the store untouched); serve 503 `not_ready` meanwhile.
 * SIGTERM/SIGINT: stop accepting, let requests in flight finish (at most `server.shutdownTimeout`),
 * close the app, exit 0. SIGHUP reloads.
 */
export async function startCommand(file: string, env: NodeJS.ProcessEnv): Promise<void> {
  const loaded = await loadConfig(file, { env, builtins: builtinPlugins });
  const { host, port } = loaded.config.server;
  const gateway = createGatewayServer(loaded.config.server);

  let app: App | undefined;
  let reloadAfterStart = false;
  let stopping: Promise<void> | undefined;
  let startup: Promise<unknown> = Promise.resolve();
  let maintenanceArming: NodeJS.Timeout | undefined;
  let heapTrim: { stop(): void } | undefined;
  const stderr = (line: string) => process.stderr.write(`switchboard: ${line}\n`);

  // Installed before the first await: SIGHUP's default action would kill a process still starting.
  process.on('SIGHUP', () => {
    if (app) void app.reload();
    else reloadAfterStart = true;
  });
  process.on('unhandledRejection', (err) => {
    if (app) app.logger.error({ err }, 'unhandled rejection');
    else stderr(`unhandled rejection: ${(err as Error)?.stack ?? String(err)}`);
  });
  const stop = (signal: string) => {
    stopping ??= (async () => {
      clearTimeout(maintenanceArming);
      heapTrim?.stop();
      app?.logger.info({ signal }, 'shutting down: finishing requests in flight');
      const settings = (app?.runtime().loaded ?? loaded).config.server;
      const finished = await closeGracefully(gateway.server, parseDuration(settings.shutdownTimeout) ?? 0);
      if (!finished) app?.logger.warn({ shutdownTimeout: settings.shutdownTimeout }, 'requests still running at server.shutdownTimeout were cut');
      await startup.catch(() => undefined);
      await app?.close();
      app?.logger.info('stopped');
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  try {
    await listen(gateway.server, port, host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    const hint = code === 'EADDRINUSE' ? ' (another process holds it: is switchboard already running?)' : '';
    stderr(`cannot listen on ${host}:${port}: ${code}${hint}; nothing was started and the store was not opened`);
    process.exit(1);
  }

  startup = (async () => {
    app = await createApp({ configFile: file, env, loaded });
    if (stopping) return;
    const running = app;
    running.onConfigApplied((next) => applyServerLimits(gateway.server, next.config.server));
    // Retention is armed a second after ready: node-cron's first schedule loads time-zone data,
    // a tenth of an empty store's start, for a task that runs hours from now.
    await running.start({ maintenance: false });
    gateway.setHandler(running.http.callback());
    if (stopping) return;
    maintenanceArming = setTimeout(() => running.startMaintenance(), 1000);
    const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
    heapTrim = startHeapTrim((r) => running.logger.info({ oldSpaceMiB: mib(r.oldBefore), afterMiB: mib(r.oldAfter), inUseMiB: mib(r.usedAfter), pauseMs: Math.round(r.pauseMs) }, 'heap compacted once traffic went quiet'));
  })();
  try {
    await startup;
  } catch (err) {
    gateway.server.close();
    throw err;
  }
  if (stopping || !app) return;
  const bound = gateway.server.address();
  app.logger.info({ host, port: typeof bound === 'object' && bound ? bound.port : port, config: file }, 'switchboard listening');
  if (reloadAfterStart) void app.reload();
}
