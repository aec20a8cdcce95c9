import type { Context, Next } from 'koa';
import type { Scope } from '../config/types.js';
import { AppError } from '../errors.js';
import { safeEqual } from '../plugin-kit/signatures.js';
import type { Runtime } from '../runtime/runtime.js';

export interface Caller {
  name: string;
  scopes: readonly Scope[];
}

function presentedKey(ctx: Context): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(ctx.get('authorization'));
  return bearer?.[1] ?? (ctx.get('x-api-key') || undefined);
}

/** Finds the API key's owner; every configured key is compared, in constant time, every time. */
export function authenticate(runtime: Runtime, key: string | undefined): Caller | undefined {
  let found: Caller | undefined;
  for (const k of runtime.loaded.config.api.keys) {
    if (safeEqual(key ?? '', k.key) && key) found ??= { name: k.name, scopes: k.scopes };
  }
  return found;
}

/**
 * Requires an API key with `scope` (`Authorization: Bearer …` or `x-api-key`); keys come from the
 * runtime, so a reload that rotates them takes effect at once.
 */
export function requireScope(runtime: () => Runtime, scope: Scope) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const caller = authenticate(runtime(), presentedKey(ctx));
    if (!caller) throw new AppError('unauthorized', 'a valid API key is required (Authorization: Bearer <key> or x-api-key)');
    if (!caller.scopes.includes(scope)) throw new AppError('forbidden', `this API key lacks the "${scope}" scope`);
    ctx.state.caller = caller;
    await next();
  };
}
