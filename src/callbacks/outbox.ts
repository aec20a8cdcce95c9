import type { Clock } from '../clock.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { CallbackJob, Message, MessageStatus } from '../model.js';
import type { HttpClient } from '../plugin-api.js';
import { backoffMs } from '../scheduler/backoff.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { Store } from '../store/store.js';
import type { Runtime } from '../runtime/runtime.js';
import { signCallback } from './signature.js';
import { createIdFactory } from '../ids.js';

export interface OutboxDeps {
  store: Store;
  scheduler: Scheduler;
  clock: Clock;
  http: HttpClient;
  logger: Logger;
  metrics: Metrics;
  runtime: () => Runtime;
  /** The engine's per-message lock: the give-up is written into the message's history under it. */
  lock: <T>(messageId: string, fn: () => Promise<T>) => Promise<T>;
}

const jobId = createIdFactory();

/**
 * Signed status callbacks with durable retries: each status change becomes a stored job and a
 * timer; 429/5xx/timeouts back off and retry until `callbacks.maxAge`, then the job becomes a dead
 * letter. Other 4xx answers are permanent at once.
 */
export function createOutbox(deps: OutboxDeps) {
  const { store, scheduler, clock } = deps;
  const updateGauge = () => deps.metrics.deadLetters.set(store.deadLetters.size);

  async function deliver(job: CallbackJob): Promise<void> {
    const { secret } = deps.runtime().loaded.config.callbacks;
    const { timeoutMs, maxAgeMs } = deps.runtime().callbacks;
    const { initialMs, maxMs } = deps.runtime().retry;
    const now = clock.now();
    job.tries += 1;
    job.firstTriedAt ??= now;
    let retryable = true;
    try {
      const res = await deps.http.request(job.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'switchboard', ...signCallback(secret, job.body, Math.floor(now / 1000)) },
        body: job.body,
        timeoutMs,
      });
      if (res.status >= 200 && res.status < 300) {
        deps.metrics.callbacks.inc({ result: 'delivered' });
        store.outbox.delete(job.id);
        return store.commit();
      }
      retryable = res.status === 429 || res.status === 408 || res.status >= 500;
      job.lastError = `HTTP ${res.status}`;
    } catch (err) {
      job.lastError = (err as Error).message;
    }
    if (retryable && clock.now() - job.firstTriedAt < maxAgeMs) {
      deps.metrics.callbacks.inc({ result: 'retry' });
      store.outbox.set(job.id, job);
      scheduler.schedule('callback', clock.now() + backoffMs(job.tries - 1, { initialMs, maxMs }), { job: job.id }, `${job.id}.callback`);
    } else {
      deps.metrics.callbacks.inc({ result: 'dead_letter' });
      store.outbox.delete(job.id);
      const reason = `${job.lastError} after ${job.tries} tries`;
      const at = new Date(clock.now()).toISOString();
      store.deadLetters.set(job.id, { id: job.id, kind: 'callback', reason, at, job });
      updateGauge();
      deps.logger.warn({ message: job.messageId, tries: job.tries, error: job.lastError }, 'status callback gave up; moved to dead letters');
      await deps.lock(job.messageId, async () => {
        const m = await store.messages.get(job.messageId);
        if (!m) return;
        m.history.push({ at, event: 'callback_failed', cause: `status callback to ${new URL(job.url).host} gave up: ${reason} (dead letter ${job.id})` });
        store.messages.put(m);
      });
    }
    await store.commit();
  }

  scheduler.register('callback', async (t) => {
    const job = store.outbox.get(String(t.payload.job));
    if (job) await deliver(job);
  });
  updateGauge();

  return {
    /** Queues a callback for a status change; durable with the caller's next commit. */
    enqueue(m: Message, previous: MessageStatus): void {
      if (!m.callbackUrl) return;
      const last = m.history.at(-1);
      const body = JSON.stringify({
        id: m.id, route: m.route, status: m.status, previousStatus: previous, at: last?.at ?? m.updatedAt,
        cause: last?.cause, tags: m.tags, attempts: m.attempts.map(({ id, channel, provider, status, errorCode }) => ({ id, channel, provider, status, errorCode })),
      });
      const job: CallbackJob = { id: jobId(clock.now()), messageId: m.id, url: m.callbackUrl, body, tries: 0 };
      store.outbox.set(job.id, job);
      scheduler.schedule('callback', clock.now(), { job: job.id }, `${job.id}.callback`);
    },
    /** Puts a dead letter back in the outbox for a fresh round of tries. */
    async replay(id: string): Promise<boolean> {
      const dead = store.deadLetters.get(id);
      if (!dead) return false;
      store.deadLetters.delete(id);
      const job: CallbackJob = { ...dead.job, tries: 0, firstTriedAt: undefined, lastError: undefined };
      store.outbox.set(job.id, job);
      scheduler.schedule('callback', clock.now(), { job: job.id }, `${job.id}.callback`);
      updateGauge();
      await store.commit();
      return true;
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
