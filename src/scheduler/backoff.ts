/**
 * Exponential backoff with jitter and a cap: try n (0-based) waits between half and all of
 * `initial * 2^n`, never more than `max`.
 *
 * @example backoffMs(3, { initialMs: 1000, maxMs: 300_000 }) // → 4000..8000
 */
export function backoffMs(tries: number, limits: { initialMs: number; maxMs: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(limits.maxMs, limits.initialMs * 2 ** Math.min(tries, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
