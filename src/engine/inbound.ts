import type { InboundRecord, Job } from '../model.js';
import type { InboundEvent } from '../plugin-api.js';
import type { EngineContext } from './context.js';
import { createIdFactory } from '../ids.js';

const inboundId = createIdFactory();

/**
 * What happens to a stored inbound message next (consent windows, STOP, inbound rules). Listeners
 * run at least once: a crash before they finished runs them again after the restart, so each
 * must tolerate seeing a record twice.
 */
export type InboundListener = (record: InboundRecord) => void | Promise<void>;

/**
 * Makes the listeners' run durable: `stage` queues, in the inbound record's own commit, a job that
 * runs them later unless `done` cancels it once they have run here.
 */
export interface InboundEffects {
  stage(record: InboundRecord): Job;
  done(job: Job): void;
}

// Long enough that the listeners run here, not also by the job, unless this process died.
export const INBOUND_EFFECTS_DELAY_MS = 60_000;

/** Runs every listener, each on its own: one that fails is logged and does not stop the others. */
export async function runInboundListeners(ctx: EngineContext, listeners: readonly InboundListener[], record: InboundRecord): Promise<void> {
  for (const listener of listeners) {
    try {
      await listener(record);
    } catch (err) {
      ctx.logger.error({ err, inbound: record.id }, 'an inbound listener failed');
    }
  }
}

/**
 * Stores an inbound message once per provider message id (providers retry callbacks), then hands
 * it to the listeners. Resolves after the record is on disk.
 */
export async function ingestInbound(
  ctx: EngineContext,
  listeners: readonly InboundListener[],
  instance: string,
  event: InboundEvent,
  dedupForMs: number,
  effects: InboundEffects,
): Promise<'stored' | 'duplicate'> {
  const key = `in:${instance}/${event.providerMessageId}`;
  // Copies of one event at two instances take turns: the second sees the first's key committed.
  const stored = await ctx.exclusive(key, () => storeOnce(ctx, instance, event, key, dedupForMs, effects));
  if (!stored) return 'duplicate';
  ctx.metrics.inbound.inc({ provider: instance, channel: event.channel });
  await runInboundListeners(ctx, listeners, stored.record);
  effects.done(stored.job);
  // Not awaited for the provider: if this commit is lost, the job runs the listeners once more.
  ctx.store.commit().catch(() => undefined);
  return 'stored';
}

async function storeOnce(ctx: EngineContext, instance: string, event: InboundEvent, key: string, dedupForMs: number, effects: InboundEffects): Promise<{ record: InboundRecord; job: Job } | undefined> {
  if ((await ctx.store.seen.fetch(key)) !== undefined) {
    // The first copy may still sit in a commit that failed: acknowledge only what is on disk.
    await ctx.store.commit();
    return undefined;
  }
  const now = ctx.clock.now();
  const record: InboundRecord = {
    id: inboundId(now),
    instance,
    channel: event.channel,
    from: event.from,
    to: event.to,
    ...(event.text !== undefined ? { text: event.text } : {}),
    ...(event.media ? { media: event.media } : {}),
    providerMessageId: event.providerMessageId,
    receivedAt: event.receivedAt ?? new Date(now).toISOString(),
    ...(event.details ? { details: event.details } : {}),
  };
  ctx.store.seen.set(key, now + dedupForMs);
  ctx.store.inbound.put(record);
  const job = effects.stage(record);
  await ctx.store.commit();
  return { record, job };
}
