import type { Context } from 'koa';
import { AppError } from '../errors.js';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export const isUlid = (s: string): boolean => ULID.test(s);

/** One query parameter as a single string (a repeated parameter is a 400, not a silent pick). */
export function param(ctx: Context, name: string): string | undefined {
  const v = ctx.query[name];
  if (Array.isArray(v)) throw new AppError('validation_failed', `query parameter ${name} is repeated`);
  return v === undefined || v === '' ? undefined : v;
}

export function oneOf<T extends string>(ctx: Context, name: string, allowed: readonly T[]): T | undefined {
  const v = param(ctx, name);
  if (v !== undefined && !allowed.includes(v as T)) throw new AppError('validation_failed', `${name} must be one of ${allowed.join(', ')}`);
  return v as T | undefined;
}

/** `since` as an ISO 8601 time or epoch milliseconds. */
export function timeParam(ctx: Context, name: string): number | undefined {
  const v = param(ctx, name);
  if (v === undefined) return undefined;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) throw new AppError('validation_failed', `${name} must be an ISO 8601 time or epoch milliseconds`);
  return ms;
}

/** `limit` (1–500, default 50) and `cursor` (an id from a previous page's `nextCursor`). */
export function page(ctx: Context): { limit: number; cursor?: string } {
  const raw = param(ctx, 'limit');
  const limit = raw === undefined ? 50 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new AppError('validation_failed', 'limit must be an integer from 1 to 500');
  const cursor = param(ctx, 'cursor');
  if (cursor !== undefined && !isUlid(cursor)) throw new AppError('validation_failed', 'cursor is not one this API issued');
  return { limit, ...(cursor ? { cursor } : {}) };
}
