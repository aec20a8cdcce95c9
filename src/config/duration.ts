const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * Parses `250ms`, `30s`, `5m`, `2h`, `30d` (one unit) into milliseconds; `undefined` if malformed.
 *
 * @example parseDuration('30s') // → 30000
 */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNITS[m[2]]) : undefined;
}

export function isDuration(text: string): boolean {
  return parseDuration(text) !== undefined;
}
