import type { EngineContext } from '../engine/context.js';
import type { Job } from '../model.js';
import { backoffMs } from '../scheduler/backoff.js';
import { createIdFactory } from '../ids.js';
import type { CommitHooks } from '../store/commit-hooks.js';

/** What one try of a job came to. `retryAfterMs`: the far side asked us to wait at least this long. */
export type JobOutcome = { ok: true } | { ok: false; retryable: boolean; error: string; retryAfterMs?: number };

/** How one kind of job is done, and what else happens when it gives up. */
export interface JobKind {
  perform(job: Job): Promise<JobOutcome>;
  /** Called once the job became a dead letter, before the commit that stores it. */
  onGiveUp?(job: Job, reason: string, at: string): Promise<void>;
  /** Counts each try's result (the kind's own metric). */
  count?(result: 'delivered' | 'retry' | 'dead_letter'): void;
}

/** What the queue uses of the engine's collaborators; `exclusive` holds a dead letter while it is replayed or deleted. */
export type JobQueueDeps = Pick<EngineContext, 'store' | 'scheduler' | 'clock' | 'logger' | 'metrics' | 'runtime' | 'exclusive'>;

// Jobs stored before kinds existed are status callbacks; their timers keep this kind too.
const DEFAULT_KIND = 'callback';
const TIMER_KIND = 'callback';

const jobId = createIdFactory();

/**
 * Durable jobs with retries: each job is stored with a timer; a retryable failure backs off (with
 * jitter, never sooner than the far side's Retry-After) until `callbacks.maxAge`, then the job
 * becomes a dead letter that `/v1/dead-letters` lists and replays. Status callbacks, forwarded
 * inbound messages and contact-center deliveries are kinds of job.
 *
 * @example
 *   const jobs = createJobQueue(deps);
 *   jobs.register('forward', { perform: (job) => post(job) });
 *   jobs.enqueue('forward', { messageId: inbound.id, url, body }); await store.commit();
 */
export function createJobQueue(deps: JobQueueDeps) {
  const { store, scheduler, clock } = deps;
  const kinds = new Map<string, JobKind>();
  // Counted from the shared collection: another instance may have added or replayed some.
  const updateGauge = () => void store.deadLetters.all().then((all) => deps.metrics.deadLetters.set(all.length), () => undefined);

  const timerOf = (job: Job) => `${job.id}.callback`;
  const arm = (job: Job, due: number) => scheduler.schedule(TIMER_KIND, due, { job: job.id }, timerOf(job));

  function cancel(job: Job): void {
    store.outbox.delete(job.id);
    scheduler.cancel(timerOf(job));
  }

  async function run(job: Job): Promise<void> {
    const kindName = job.kind ?? DEFAULT_KIND;
    const kind = kinds.get(kindName);
    const now = clock.now();
    job.tries += 1;
    job.firstTriedAt ??= now;
    const outcome: JobOutcome = kind ? await kind.perform(job) : { ok: false, retryable: false, error: `no handler for jobs of kind ${kindName}` };
    if (outcome.ok) {
      kind?.count?.('delivered');
      // Its timer goes in the same commit, so the scheduler has nothing left to complete.
      store.outbox.delete(job.id);
      scheduler.cancel(timerOf(job));
      return store.commit();
    }
    job.lastError = outcome.error;
    if (outcome.retryable && clock.now() - job.firstTriedAt < deps.runtime().callbacks.maxAgeMs) {
      const { initialMs, maxMs } = deps.runtime().retry;
      kind?.count?.('retry');
      store.outbox.set(job.id, job);
      arm(job, clock.now() + Math.max(backoffMs(job.tries - 1, { initialMs, maxMs }), outcome.retryAfterMs ?? 0));
    } else {
      kind?.count?.('dead_letter');
      store.outbox.delete(job.id);
      const reason = `${job.lastError} after ${job.tries} tries`;
      const at = new Date(clock.now()).toISOString();
      store.deadLetters.set(job.id, { id: job.id, kind: kindName, reason, at, job });
      updateGauge();
      deps.logger.warn({ kind: kindName, messageId: job.messageId, tries: job.tries, error: job.lastError }, 'a job gave up; moved to dead letters');
      await kind?.onGiveUp?.(job, reason, at);
    }
    await store.commit();
  }

  scheduler.register(TIMER_KIND, async (t) => {
    const job = await store.outbox.fetch(String(t.payload.job));
    if (job) await run(job);
  });
  updateGauge();

  return {
    register(name: string, kind: JobKind): void {
      kinds.set(name, kind);
    },
    /**
     * Queues a job, due in `delayMs` (now by default); durable with the caller's next commit.
     * With `hooks` it runs only once that commit succeeded, and is dropped if it is refused.
     */
    enqueue(kind: string, fields: Pick<Job, 'messageId' | 'body'> & Partial<Pick<Job, 'url' | 'target'>>, delayMs = 0, hooks?: CommitHooks): Job {
      const job: Job = { id: jobId(clock.now()), ...(kind === DEFAULT_KIND ? {} : { kind }), ...fields, url: fields.url ?? '', tries: 0 };
      store.outbox.set(job.id, job);
      if (!hooks) {
        arm(job, clock.now() + delayMs);
        return job;
      }
      const timer = scheduler.stage(TIMER_KIND, clock.now() + delayMs, { job: job.id }, timerOf(job));
      hooks.committed(() => scheduler.arm(timer));
      hooks.refused(() => cancel(job));
      return job;
    },
    /** Drops a queued job that was done some other way; durable with the caller's next commit. */
    cancel,
    /** Puts a dead letter back in the queue for a fresh round of tries. */
    replay: (id: string): Promise<boolean> => deps.exclusive(`dead-letter:${id}`, async () => {
      const dead = await store.deadLetters.fetch(id);
      if (!dead) return false;
      store.deadLetters.delete(id);
      const job: Job = { ...dead.job, tries: 0, firstTriedAt: undefined, lastError: undefined };
      store.outbox.set(job.id, job);
      arm(job, clock.now());
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

export type JobQueue = ReturnType<typeof createJobQueue>;
