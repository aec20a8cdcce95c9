import type { InboundRecord } from '../model.js';
import type { InboundEvent } from '../plugin-api.js';
import type { EngineContext } from './context.js';
import { createIdFactory } from '../ids.js';

const inboundId = createIdFactory();

/** What happens to a stored inbound message next (consent windows, STOP, bridges plug in here). */
export type InboundListener = (record: InboundRecord) => void | Promise<void>;

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
): Promise<'stored' | 'duplicate'> {
  const key = `in:${instance}/${event.providerMessageId}`;
  // Copies of one event at two instances take turns: the second sees the first's key committed.
  const record = await ctx.exclusive(key, () => storeOnce(ctx, instance, event, key, dedupForMs));
  if (!record) return 'duplicate';
  ctx.metrics.inbound.inc({ provider: instance, channel: event.channel });
  for (const listener of listeners) await listener(record);
  return 'stored';
}

async function storeOnce(ctx: EngineContext, instance: string, event: InboundEvent, key: string, dedupForMs: number): Promise<InboundRecord | undefined> {
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
  await ctx.store.commit();
  return record;
}
