/**
 * A `Retry-After` header as milliseconds from `now`: delta-seconds or an HTTP-date (RFC 9110
 * §10.2.3). Undefined when absent or unreadable; capped so a hostile value cannot park an
 * instance for days.
 *
 * @example retryAfterMs('3', Date.now()) // → 3000
 */
export function retryAfterMs(value: unknown, now: number, capMs = 15 * 60_000): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' || text.trim() === '') return undefined;
  const trimmed = text.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(0, ms), capMs);
}
