import { timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { GatewayConfig, Scope } from '../config/types.js';
import { AppError } from '../errors.js';
import { sha256 } from '../plugin-kit/signatures.js';
import type { Runtime } from '../runtime/runtime.js';

export interface Caller {
  name: string;
  scopes: readonly Scope[];
}

function presentedKey(ctx: Context): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(ctx.get('authorization'));
  return bearer?.[1] ?? (ctx.get('x-api-key') || undefined);
}

type ApiKeys = GatewayConfig['api']['keys'];
interface KnownKey {
  digest: Buffer;
  caller: Caller;
}

// One table per loaded configuration (its keys array is frozen, so it can key the cache): a
// reload that rotates keys brings a new array and a new table, the old one goes with its config.
const tables = new WeakMap<ApiKeys, readonly KnownKey[]>();

function knownKeys(keys: ApiKeys): readonly KnownKey[] {
  let table = tables.get(keys);
  if (!table) {
    table = keys.map((k) => ({ digest: sha256(k.key), caller: Object.freeze({ name: k.name, scopes: k.scopes }) }));
    tables.set(keys, table);
  }
  return table;
}

/**
 * Finds the API key's owner. The presented key is hashed once and its digest compared with every
 * configured key's, in constant time, every time: comparing digests makes the time independent of
 * the keys' lengths, and not stopping at a match keeps which key matched out of the timing.
 */
export function authenticate(runtime: Runtime, key: string | undefined): Caller | undefined {
  return match(knownKeys(runtime.loaded.config.api.keys), key);
}

function match(table: readonly KnownKey[], key: string | undefined): Caller | undefined {
  const presented = sha256(key ?? '');
  let found: Caller | undefined;
  for (const k of table) {
    if (timingSafeEqual(presented, k.digest) && key) found ??= k.caller;
  }
  return found;
}

// The key each connection last proved, with the table it matched in. A client sends the same key
// on every request of a keep-alive connection, and hashing it to compare with every configured key
// was 2 % of an accept. Only a key that matched is kept, and a presented key is compared with it
// in time that depends on the presented key alone: a proxy that carries several clients on one
// connection gives none of them a way to learn another's key. A reload's new table misses.
const proven = new WeakMap<object, { table: readonly KnownKey[]; key: string; caller: Caller }>();

function sameKey(presented: string, kept: string): boolean {
  let diff = presented.length ^ kept.length;
  // Past the kept key's end `charCodeAt` is NaN, which `^` reads as 0: the length check decides.
  for (let i = 0; i < presented.length; i += 1) diff |= presented.charCodeAt(i) ^ kept.charCodeAt(i);
  return diff === 0;
}

function callerOf(ctx: Context, runtime: Runtime): Caller | undefined {
  const table = knownKeys(runtime.loaded.config.api.keys);
  const key = presentedKey(ctx);
  const last = proven.get(ctx.req.socket);
  if (key && last?.table === table && sameKey(key, last.key)) return last.caller;
  const caller = match(table, key);
  if (caller && key) proven.set(ctx.req.socket, { table, key, caller });
  return caller;
}

/**
 * Requires an API key with `scope` (`Authorization: Bearer …` or `x-api-key`); keys come from the
 * runtime, so a reload that rotates them takes effect at once.
 */
export function requireScope(runtime: () => Runtime, scope: Scope) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const caller = callerOf(ctx, runtime());
    if (!caller) throw new AppError('unauthorized', 'a valid API key is required (Authorization: Bearer <key> or x-api-key)');
    if (!caller.scopes.includes(scope)) throw new AppError('forbidden', `this API key lacks the "${scope}" scope`);
    ctx.state.caller = caller;
    await next();
  };
}
