import type { Context } from 'koa';
import type { Engine, SendRequest } from '../engine/engine.js';
import { AppError } from '../errors.js';
import type { Caller } from './auth.js';

/**
 * Accepts a validated send request the way every send endpoint answers: the caller's
 * `Idempotency-Key` (scoped to its API key), `202 {id, status}` with `Location`, and
 * `Idempotent-Replayed: true` when the key found an earlier message.
 */
export async function acceptAndAnswer(ctx: Context, engine: Engine, request: SendRequest): Promise<void> {
  const key = ctx.get('idempotency-key') || undefined;
  if (key !== undefined && key.length > 255) throw new AppError('validation_failed', 'Idempotency-Key must be at most 255 characters');
  const caller = ctx.state.caller as Caller;
  const { message, created } = await engine.accept(request, key ? { scope: caller.name, key } : undefined);
  if (!created) ctx.set('Idempotent-Replayed', 'true');
  ctx.status = 202;
  ctx.set('Location', `/v1/messages/${message.id}`);
  // A new message is reported as stored; a replay reports where the original has got to.
  ctx.body = { id: message.id, status: created ? 'accepted' : message.status };
}
