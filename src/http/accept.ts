import type { Context } from 'koa';
import type { Engine, SendRequest } from '../engine/engine.js';
import { AppError } from '../errors.js';
import type { Message } from '../model.js';
import type { Caller } from './auth.js';

/**
 * Accepts a validated send request with the caller's `Idempotency-Key` (scoped to its API key),
 * setting `Location` and `Idempotent-Replayed: true` when the key found an earlier message. The
 * status it reports: `accepted` for a new message, where the original has got to for a replay.
 */
export async function acceptRequest(ctx: Context, engine: Engine, request: SendRequest): Promise<{ message: Message; status: string }> {
  const key = ctx.get('idempotency-key') || undefined;
  if (key !== undefined && key.length > 255) throw new AppError('validation_failed', 'Idempotency-Key must be at most 255 characters');
  const caller = ctx.state.caller as Caller;
  const { message, created } = await engine.accept(request, key ? { scope: caller.name, key } : undefined);
  if (!created) ctx.set('Idempotent-Replayed', 'true');
  ctx.set('Location', `/v1/messages/${message.id}`);
  return { message, status: created ? 'accepted' : message.status };
}

/** {@link acceptRequest}, answered the way every core send endpoint answers: `202 {id, status}`. */
export async function acceptAndAnswer(ctx: Context, engine: Engine, request: SendRequest): Promise<void> {
  const { message, status } = await acceptRequest(ctx, engine, request);
  ctx.status = 202;
  ctx.body = { id: message.id, status };
}
