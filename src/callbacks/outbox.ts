import type { Clock } from '../clock.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Job, Message, MessageStatus } from '../model.js';
import { classifyStatus, isRetryableReason } from '../errors.js';
import type { JobOutcome, JobQueue } from '../jobs/queue.js';
import type { Store } from '../store/store.js';
import type { CommitHooks } from '../store/commit-hooks.js';
import type { Runtime } from '../runtime/runtime.js';
import { signCallback } from './signature.js';
import { createCallbackTransport, type CallbackTransport } from './transport.js';

export interface OutboxDeps {
  store: Store;
  jobs: JobQueue;
  clock: Clock;
  /** How callbacks go out (default: policy-checked POSTs with hand-followed redirects); tests inject lookups through it. */
  transport?: CallbackTransport;
  logger: Logger;
  metrics: Metrics;
  runtime: () => Runtime;
  /** The engine's per-message lock: the give-up is written into the message's history under it. */
  lock: <T>(messageId: string, fn: () => Promise<T>) => Promise<T>;
}

// A job stored before URLs were checked at accept may hold one that does not parse.
const hostOf = (url: string): string => (URL.canParse(url) ? new URL(url).host : 'an invalid URL');

/**
 * Signed HTTP posts as durable jobs: status callbacks (`callback`) and forwarded inbound messages
 * (`forward`). 429/5xx/timeouts back off and retry until `callbacks.maxAge`, then the job becomes
 * a dead letter; other 4xx answers are permanent at once.
 */
export function createOutbox(deps: OutboxDeps) {
  const { store, jobs, clock } = deps;
  const transport = deps.transport ?? createCallbackTransport();

  async function post(job: Job): Promise<JobOutcome> {
    const { secret, allowedHosts } = deps.runtime().loaded.config.callbacks;
    const outcome = await transport({
      url: job.url,
      headers: { 'content-type': 'application/json', 'user-agent': 'switchboard', ...signCallback(secret, job.body, Math.floor(clock.now() / 1000)) },
      body: job.body,
      timeoutMs: deps.runtime().callbacks.timeoutMs,
      policy: { allowedHosts },
    });
    if (outcome.kind === 'answered') {
      const reason = classifyStatus(outcome.status);
      if (reason === undefined) return { ok: true };
      // The status only: the answer's body is the target's, and dead letters are shown to clients.
      return { ok: false, retryable: isRetryableReason(reason), error: `HTTP ${outcome.status}` };
    }
    return { ok: false, retryable: outcome.kind === 'failed', error: outcome.kind === 'refused' ? `refused: ${outcome.reason}` : outcome.reason };
  }

  const count = (result: string) => deps.metrics.callbacks.inc({ result });
  jobs.register('callback', {
    perform: post,
    count,
    async onGiveUp(job, reason, at) {
      await deps.lock(job.messageId, async () => {
        const m = await store.messages.get(job.messageId);
        if (!m) return;
        m.history.push({ at, event: 'callback_failed', cause: `status callback to ${hostOf(job.url)} gave up: ${reason} (dead letter ${job.id})` });
        store.messages.put(m);
      });
    },
  });
  jobs.register('forward', { perform: post, count: (result) => deps.metrics.forwards.inc({ result }) });

  return {
    /** Queues a callback for a status change; durable with the caller's next commit. */
    /** Queues the status callback of a change; `hooks`: the message is being created, so its timer waits for that commit. */
    enqueue(m: Message, previous: MessageStatus, hooks?: CommitHooks): void {
      if (!m.callbackUrl) return;
      const last = m.history.at(-1);
      const body = JSON.stringify({
        id: m.id, route: m.route, status: m.status, previousStatus: previous, at: last?.at ?? m.updatedAt,
        cause: last?.cause, tags: m.tags, attempts: m.attempts.map(({ id, channel, provider, status, errorCode }) => ({ id, channel, provider, status, errorCode })),
      });
      jobs.enqueue('callback', { messageId: m.id, url: m.callbackUrl, body }, 0, hooks);
    },
    /** Queues a signed post of an inbound message (an inbound rule's `forward`); durable with the next commit. */
    forward(inboundId: string, url: string, body: string): void {
      jobs.enqueue('forward', { messageId: inboundId, url, body });
    },
    replay: jobs.replay,
    discard: jobs.discard,
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
