/** Reading the daemon's Prometheus text: gauges and histogram quantiles. */
import { API_KEY } from './config.js';

export async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { 'x-api-key': API_KEY } });
  return res.text();
}

function labelsMatch(labels: string, want: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => labels.includes(`${k}="${v}"`));
}

/** The first sample of `name` whose labels include `want`. */
export function gauge(text: string, name: string, want: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && m[1] === name && labelsMatch(m[2] ?? '', want)) return Number(m[3]);
  }
  return undefined;
}

export interface Histogram {
  /** Cumulative counts by upper bound, `Infinity` last. */
  buckets: { le: number; count: number }[];
  count: number;
  sum: number;
}

export function histogram(text: string, name: string, want: Record<string, string> = {}): Histogram {
  const buckets: { le: number; count: number }[] = [];
  let count = 0;
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || !labelsMatch(m[2] ?? '', want)) continue;
    if (m[1] === `${name}_bucket`) {
      const le = /le="([^"]+)"/.exec(m[2] ?? '')?.[1] ?? '+Inf';
      buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: Number(m[3]) });
    } else if (m[1] === `${name}_count`) count = Number(m[3]);
    else if (m[1] === `${name}_sum`) sum = Number(m[3]);
  }
  buckets.sort((a, b) => a.le - b.le);
  return { buckets, count, sum };
}

/**
 * Prometheus' `histogram_quantile`: linear interpolation inside the bucket that holds the rank.
 * Also returns that bucket's bounds, the honest resolution of the figure.
 */
export function quantile(h: Histogram, q: number): { value: number; lower: number; upper: number } {
  if (h.count === 0 || h.buckets.length === 0) return { value: NaN, lower: NaN, upper: NaN };
  const rank = q * h.count;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return { value: prevLe, lower: prevLe, upper: Infinity };
      const value = prevLe + ((b.le - prevLe) * (rank - prevCount)) / Math.max(1, b.count - prevCount);
      return { value, lower: prevLe, upper: b.le };
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return { value: prevLe, lower: prevLe, upper: Infinity };
}

/** Exact quantile of a sample (nearest rank). */
export function percentile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
