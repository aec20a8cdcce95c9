import { Registry } from 'prom-client';
import type Koa from 'koa';
import type { DestinationStream } from 'pino';
import { systemClock, type Clock } from './clock.js';
import { createOutbox } from './callbacks/outbox.js';
import { createJobQueue } from './jobs/queue.js';
import { parseDuration } from './config/duration.js';
import { loadConfig, type KnownPlugin, type LoadedConfig } from './config/load.js';
import { createMessageLock, type EngineContext, type StepGuard } from './engine/context.js';
import { createEngine } from './engine/engine.js';
import { createKeyedLock } from './engine/locks.js';
import { createAnswers } from './engine/answers.js';
import { createRateLimiter } from './engine/rate-limit.js';
import { attemptKeys, isOpenMessage } from './engine/receipts.js';
import { INBOUND_EFFECTS_DELAY_MS, ingestInbound, runInboundListeners, type InboundEffects, type InboundListener } from './engine/inbound.js';
import { createHttpApp } from './http/http-app.js';
import { inboundRoutes } from './http/routes/inbound.js';
import { messageRoutes } from './http/routes/messages.js';
import { opsRoutes } from './http/routes/ops.js';
import { smsWhatsappRoutes } from './http/compat/sms-whatsapp.js';
import { omnichannelMiddleware } from './http/compat/omnichannel.js';
import { webhookRoutes } from './http/routes/webhooks.js';
import { consentRoutes } from './http/routes/consent.js';
import { suppressionRoutes } from './http/routes/suppressions.js';
import { uiRoutes } from './http/ui/routes.js';
import { avayaConnectorRoutes } from './http/compat/avaya-connector/index.js';
import { messagingConnectRoutes } from './http/compat/messaging-connect.js';
import { openApiRoutes } from './http/openapi/route.js';
import { createLogger, type Logger } from './log/logger.js';
import { createRedactor } from './log/redact.js';
import { createMetrics } from './metrics/metrics.js';
import { builtinPlugins } from './registry.js';
import { buildRuntime, closeRuntime, type Runtime } from './runtime/runtime.js';
import { createScheduler, type Scheduler } from './scheduler/scheduler.js';
import { createLeasedScheduler } from './scheduler/leased.js';
import { openStore } from './store/open.js';
import type { Store } from './store/store.js';
import { createWebhookPipeline } from './webhooks/pipeline.js';
import { createMaintenance } from './app/maintenance.js';
import { createConsentPolicy } from './engine/consent/policy.js';
import { createSuppression } from './engine/suppression.js';
import { createInboundRules } from './engine/inbound-rules.js';
import { createBridge } from './engine/bridge.js';
import { createConfigReload } from './app/reload.js';

export interface AppDeps {
  configFile: string;
  /** Where `${env:…}` reads from; `main.ts` passes `process.env`, tests pass their own. */
  env: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
  registry?: Registry;
  /** Where JSON log lines go (default stdout); tests capture them. */
  logDestination?: DestinationStream;
  builtins?: ReadonlyMap<string, KnownPlugin>;
  guards?: readonly StepGuard[];
  inboundListeners?: readonly InboundListener[];
  /** The config `main.ts` already loaded to bind the port, so both see the same file. */
  loaded?: LoadedConfig;
}

/**
 * The composition root: loads the config, opens the store, builds the runtime, the engine and the
 * Koa app. Never reads `process.env`, traps signals or listens — `main.ts` does those.
 *
 * @example
 *   const app = await createApp({ configFile: 'gateway.yaml', env: {} });
 *   await app.start();
 *   await supertest(app.http.callback()).get('/-/healthy');
 */
export async function createApp(deps: AppDeps) {
  const clock = deps.clock ?? systemClock;
  const builtins = deps.builtins ?? builtinPlugins;
  const load = () => loadConfig(deps.configFile, { env: deps.env, builtins });
  const loaded: LoadedConfig = deps.loaded ?? (await load());
  let secrets: ReadonlySet<string> = loaded.secrets;
  const redact = createRedactor(() => secrets);
  const logger: Logger = createLogger({ level: loaded.config.log.level, secrets: () => secrets, destination: deps.logDestination });
  const metrics = createMetrics(deps.registry ?? new Registry());

  const store: Store = await openStore(loaded.config.store, {
    indexKeys: attemptKeys,
    isOpen: isOpenMessage,
    indexWindowMs: parseDuration(loaded.config.store.receiptIndex) ?? 0,
    now: () => clock.now(),
    onConnectionError: (err) => logger.warn({ err: err.message }, 'store: an idle database connection was lost'),
    onTornCommit: (files) => logger.warn({ files }, 'store: the last commit before this start did not reach the disk whole (the process stopped while writing it); nothing of it had been acknowledged, and it was dropped'),
  });
  const schedulerOptions = {
    timers: store.timers,
    commit: () => store.commit(),
    clock,
    logger,
    onFire: (kind: string, lagMs: number) => metrics.timerLag.observe({ kind }, lagMs / 1000),
  };
  const scheduler: Scheduler = store.sharedTimers
    ? createLeasedScheduler({ ...schedulerOptions, shared: store.sharedTimers })
    : createScheduler(schedulerOptions);
  metrics.sources.pendingTimers = () => scheduler.pending;
  metrics.sources.sendsWaiting = () => {
    const waiting = scheduler.sendsWaiting();
    // Every configured instance is reported, so dashboards see zeros.
    for (const name of runtime.providers.keys()) if (!waiting.has(name)) waiting.set(name, 0);
    return waiting;
  };

  let runtime!: Runtime;
  const current = () => runtime;
  const pipeline = createWebhookPipeline({
    runtime: current,
    metrics,
    logger,
    ingest: async (instance, event) => {
      if (event.type === 'status') return engine.ingestStatus(instance, event);
      if (event.type === 'agent') return bridge.fromContactCenter(instance, event);
      return ingestInbound(ctx, inboundListeners, instance, event, parseDuration(runtime.loaded.config.store.receiptIndex) ?? 0, inboundEffects);
    },
  });
  const runtimeDeps = {
    logger,
    clock,
    metrics,
    loopback: async (instance: string, kind: string, req: { headers: Record<string, string | string[] | undefined>; rawBody: string; body: unknown }) => {
      await pipeline(instance, kind, { method: 'POST', url: runtime.webhookUrl(instance, kind) ?? `loopback:/webhooks/${instance}/${kind}`, query: {}, ...req });
    },
  };
  runtime = buildRuntime(loaded, runtimeDeps);

  // In-process first, so one process holds at most one of the store's locks per key.
  const keyed = createKeyedLock();
  const exclusive = <T>(key: string, fn: () => Promise<T>): Promise<T> => keyed(key, () => store.exclusive(key, fn));
  const { lock, defer, create, creating } = createMessageLock(exclusive, keyed, (err, messageId) => logger.error({ err, messageId }, 'a send begun by an accept failed'));
  const jobs = createJobQueue({ store, scheduler, clock, logger, metrics, runtime: current, exclusive });
  const outbox = createOutbox({ store, jobs, clock, logger, metrics, runtime: current, lock });
  const inboundEffects: InboundEffects = {
    stage: (record) => jobs.enqueue('inbound', { messageId: record.id, body: '' }, INBOUND_EFFECTS_DELAY_MS),
    done: (job) => jobs.cancel(job),
  };
  jobs.register('inbound', {
    async perform(job) {
      const record = await store.inbound.get(job.messageId);
      if (record) await runInboundListeners(ctx, inboundListeners, record);
      return { ok: true };
    },
  });
  // Suppression and consent are built on the engine, so they join these once it exists.
  const guards: StepGuard[] = [];
  const inboundListeners: InboundListener[] = [];
  const signalSinks: Array<EngineContext['onSignal']> = [];
  const ctx: EngineContext = {
    store, scheduler, clock, logger, metrics, runtime: current,
    guards,
    limiter: createRateLimiter(clock),
    answers: createAnswers(),
    lock,
    exclusive,
    defer,
    create,
    creating,
    onStatusChange: (m, previous) => outbox.enqueue(m, previous, creating(m.id)),
    onSignal: (signal, about) => {
      for (const sink of signalSinks) sink(signal, about);
    },
  };
  const engine = createEngine(ctx);
  const suppression = createSuppression({ ctx, engine });
  const consent = createConsentPolicy({ ctx, engine });
  // A suppressed step is skipped before consent could hold it or send an opt-in template.
  guards.push(...(deps.guards ?? []), suppression.guard, consent.guard);
  const bridge = createBridge({ ctx, engine, jobs });
  // Rules see a message after STOP/HELP and consent have.
  const rules = createInboundRules({ ctx, engine, forward: outbox.forward, bridge: bridge.toContactCenter });
  inboundListeners.push(suppression.onInbound, consent.onInbound, rules, ...(deps.inboundListeners ?? []));
  signalSinks.push(suppression.onSignal, consent.onSignal);
  metrics.sources.held = () => consent.held();
  metrics.sources.suppressions = () => suppression.sizes();

  const config = createConfigReload({
    load, runtime: current, started: loaded, logger, metrics, clock,
    build: (next, nextLogger) => buildRuntime(next, { ...runtimeDeps, logger: nextLogger }),
    swap(next) {
      runtime = next;
      // Old secrets stay masked too: the old runtime may still log while it closes.
      secrets = new Set([...secrets, ...next.loaded.secrets]);
    },
    retire: (old) => void closeRuntime(old, logger),
  });
  const maintenance = createMaintenance({ store, clock, logger, runtime: current });
  config.onApplied(() => maintenance.apply());

  let ready = false;
  let orphanSweep: NodeJS.Timeout | undefined;
  const http: Koa = createHttpApp({
    logger,
    metrics,
    bodyLimit: loaded.config.server.bodyLimit,
    middleware: [omnichannelMiddleware(engine, current)],
    routers: [
      messageRoutes(engine, current),
      smsWhatsappRoutes(engine, current),
      inboundRoutes(store, current),
      consentRoutes(store, current, clock),
      suppressionRoutes(suppression, current),
      webhookRoutes(pipeline, current),
      opsRoutes({ runtime: current, metrics, store, outbox, redact, ready: () => ready && store.writable, reload: () => config.reload() }),
      avayaConnectorRoutes({ runtime: current, pipeline, clock, logger, redact, reload: () => config.reload() }),
      messagingConnectRoutes(engine, current),
      openApiRoutes(),
      uiRoutes({ runtime: current, metrics }),
    ],
  });

  return {
    http,
    engine,
    store,
    scheduler,
    metrics,
    logger,
    outbox,
    runtime: current,
    reload: () => config.reload(),
    /** Runs `listener` after every successful reload (`main.ts` applies the server's limits). */
    onConfigApplied: config.onApplied,
    /** Arms the retention task, for a `start({ maintenance: false })` that put it off. */
    startMaintenance: () => maintenance.start(),
    /** Marks in-flight sends of a previous life `unknown`, then arms the stored timers. */
    async start(options: { maintenance?: boolean } = {}): Promise<void> {
      const recover = async () => {
        const unknown = await engine.recover();
        if (unknown > 0) logger.warn({ unknown }, 'attempts in flight in a stopped process are marked unknown');
      };
      await recover();
      // Sharing the store: an instance may die at any time, and its sends in flight are found then.
      if (store.sharedTimers) {
        orphanSweep = setInterval(() => void recover().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'looking for orphaned sends failed')), store.sharedTimers.leaseMs);
      }
      scheduler.start();
      if (!runtime.loaded.config.callbacks.secret) logger.warn('callbacks.secret is not set: status callbacks go out unsigned');
      if (options.maintenance !== false) maintenance.start();
      ready = true;
    },
    /**
     * In order: no new timers fire, the handlers running finish (their provider calls bounded by
     * the send ceiling), providers close, and the store writes what is queued and closes.
     */
    async close(): Promise<void> {
      ready = false;
      clearInterval(orphanSweep);
      maintenance.stop();
      await scheduler.stop();
      await closeRuntime(runtime, logger);
      await store.commit().catch((err: unknown) => logger.error({ err }, 'the last commit before closing failed'));
      await store.close();
    },
  };
}

export type App = Awaited<ReturnType<typeof createApp>>;
