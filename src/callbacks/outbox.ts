import type { Clock } from '../clock.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { CallbackJob, Message, MessageStatus } from '../model.js';
import { classifyStatus, isRetryableReason } from '../errors.js';
import { backoffMs } from '../scheduler/backoff.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { Store } from '../store/store.js';
import type { Runtime } from '../runtime/runtime.js';
import { signCallback } from './signature.js';
import { createCallbackTransport, type CallbackTransport } from './transport.js';
import { createIdFactory } from '../ids.js';

export interface OutboxDeps {
  store: Store;
  scheduler: Scheduler;
  clock: Clock;
  /** How callbacks go out (default: policy-checked POSTs with hand-followed redirects); tests inject lookups through it. */
  transport?: CallbackTransport;
  logger: Logger;
  metrics: Metrics;
  runtime: () => Runtime;
  /** The engine's per-message lock: the give-up is written into the message's history under it. */
  lock: <T>(messageId: string, fn: () => Promise<T>) => Promise<T>;
  /** Holds a dead letter's key while it is replayed or deleted (two instances may be asked at once). */
  exclusive: <T>(key: string, fn: () => Promise<T>) => Promise<T>;
}

const jobId = createIdFactory();

// A job stored before URLs were checked at accept may hold one that does not parse.
const hostOf = (url: string): string => (URL.canParse(url) ? new URL(url).host : 'an invalid URL');

/**
 * Signed status callbacks with durable retries: each status change becomes a stored job and a
 * timer; 429/5xx/timeouts back off and retry until `callbacks.maxAge`, then the job becomes a dead
 * letter. Other 4xx answers are permanent at once.
 */
export function createOutbox(deps: OutboxDeps) {
  const { store, scheduler, clock } = deps;
  // Counted from the shared collection: another instance may have added or replayed some.
  const updateGauge = () => void store.deadLetters.all().then((all) => deps.metrics.deadLetters.set(all.length), () => undefined);
  const transport = deps.transport ?? createCallbackTransport();

  async function deliver(job: CallbackJob): Promise<void> {
    const { secret, allowedHosts } = deps.runtime().loaded.config.callbacks;
    const { timeoutMs, maxAgeMs } = deps.runtime().callbacks;
    const { initialMs, maxMs } = deps.runtime().retry;
    const now = clock.now();
    job.tries += 1;
    job.firstTriedAt ??= now;
    const outcome = await transport({
      url: job.url,
      headers: { 'content-type': 'application/json', 'user-agent': 'switchboard', ...signCallback(secret, job.body, Math.floor(now / 1000)) },
      body: job.body,
      timeoutMs,
      policy: { allowedHosts },
    });
    let retryable: boolean;
    if (outcome.kind === 'answered') {
      const reason = classifyStatus(outcome.status);
      if (reason === undefined) {
        deps.metrics.callbacks.inc({ result: 'delivered' });
        store.outbox.delete(job.id);
        return store.commit();
      }
      retryable = isRetryableReason(reason);
      // The status only: the answer's body is the target's, and dead letters are shown to clients.
      job.lastError = `HTTP ${outcome.status}`;
    } else {
      retryable = outcome.kind === 'failed';
      job.lastError = outcome.kind === 'refused' ? `refused: ${outcome.reason}` : outcome.reason;
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
        m.history.push({ at, event: 'callback_failed', cause: `status callback to ${hostOf(job.url)} gave up: ${reason} (dead letter ${job.id})` });
        store.messages.put(m);
      });
    }
    await store.commit();
  }

  scheduler.register('callback', async (t) => {
    const job = await store.outbox.fetch(String(t.payload.job));
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
    replay: (id: string): Promise<boolean> => deps.exclusive(`dead-letter:${id}`, async () => {
      const dead = await store.deadLetters.fetch(id);
      if (!dead) return false;
      store.deadLetters.delete(id);
      const job: CallbackJob = { ...dead.job, tries: 0, firstTriedAt: undefined, lastError: undefined };
      store.outbox.set(job.id, job);
      scheduler.schedule('callback', clock.now(), { job: job.id }, `${job.id}.callback`);
      await store.commit();
      updateGauge();
      return true;
    }),
    /** Deletes a dead letter for good; false when there is none with this id. */
    discard: (id: string): Promise<boolean> => deps.exclusive(`dead-letter:${id}`, async () => {
      if (!(await store.deadLetters.fetch(id))) return false;
      store.deadLetters.delete(id);
      await store.commit();
      updateGauge();
      return true;
    }),
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
