import type { LoadedConfig } from '../config/load.js';
import { AppError } from '../errors.js';
import type { Message } from '../model.js';
import { normalizeAddress } from './addresses.js';
import type { SendRequest } from './engine.js';
import { INLINE_ROUTE, resolveInlinePlan } from './inline-plan.js';

/**
 * The plan a send request runs under the loaded config: its route by name, or its own inline plan
 * checked like one. Throws `validation_failed` for an unknown route. Shared by `accept` and by
 * `switchboard routes test`, so a route test picks exactly what a send would.
 *
 * @example planFor({ route: 'default', to: { phone: '+15551234567' }, content: { text: 'hi' } }, loaded) // → { name: 'default', plan: { mode: 'fallback', … } }
 */
export function planFor(req: SendRequest, loaded: LoadedConfig): { name: string; plan: Message['plan'] } {
  const { routes } = loaded.config;
  const name = typeof req.route === 'string' ? req.route : INLINE_ROUTE;
  // Own properties only: "__proto__" or "constructor" is an unknown route, not Object's.
  const plan = typeof req.route !== 'string' ? resolveInlinePlan(req.route, loaded) : Object.hasOwn(routes, req.route) ? routes[req.route] : undefined;
  if (!plan) throw new AppError('validation_failed', `unknown route "${name}"`, { route: name, known: Object.keys(routes) });
  return { name, plan };
}

/** A new message as it is first stored: `phone` stands for both phone channels, a group's numbers are joined. */
export function draftMessage(req: SendRequest, name: string, plan: Message['plan'], id: string, now: string, idempotencyKey?: string): Message {
  const { phone, ...addresses } = req.to;
  const to: Message['to'] = Object.fromEntries(Object.entries(addresses).map(([c, a]) => [c, Array.isArray(a) ? a.join(',') : a]));
  if (typeof phone === 'string') {
    to.sms ??= phone;
    to.whatsapp ??= phone;
  }
  return {
    id,
    route: name,
    // Config objects are frozen: the plan can be shared, never changed.
    plan,
    to,
    content: req.content,
    ...(req.callbackUrl ? { callbackUrl: req.callbackUrl } : {}),
    ...(req.tags ? { tags: req.tags } : {}),
    ...(req.locale ? { locale: req.locale } : {}),
    ...(req.from ? { from: normalizeAddress(req.from) } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
    status: 'accepted',
    steps: plan.steps.map(() => ({ state: 'pending', providerIndex: 0, retries: 0 })),
    attempts: [],
    history: [{ at: now, event: 'accepted', status: 'accepted' }],
    createdAt: now,
    updatedAt: now,
  };
}
