/** Summaries used across sim and k6 results; quantiles by simple-statistics (R-7 style). */
import { quantileSorted } from 'simple-statistics';
import type { EgressQuantiles, Quantiles } from './envelope';

function sorted(values: ArrayLike<number>): number[] {
  return Array.from(values).sort((a, b) => a - b);
}

export function quantiles(values: ArrayLike<number>): Quantiles {
  const s = sorted(values);
  if (s.length === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
  return {
    p50: quantileSorted(s, 0.5),
    p90: quantileSorted(s, 0.9),
    p99: quantileSorted(s, 0.99),
    max: s[s.length - 1] as number,
  };
}

export function egressQuantiles(values: ArrayLike<number>): EgressQuantiles {
  const s = sorted(values);
  if (s.length === 0) return { p50: 0, p75: 0, p90: 0, p99: 0, p999: 0 };
  return {
    p50: quantileSorted(s, 0.5),
    p75: quantileSorted(s, 0.75),
    p90: quantileSorted(s, 0.9),
    p99: quantileSorted(s, 0.99),
    p999: quantileSorted(s, 0.999),
  };
}

/** Empirical CDF thinned to at most `maxPoints` points (reports stay small at 100k nodes). */
export function cdf(values: ArrayLike<number>, maxPoints = 200): Array<{ value: number; fraction: number }> {
  const s = sorted(values);
  const n = s.length;
  if (n === 0) return [];
  const step = Math.max(1, Math.floor(n / maxPoints));
  const out: Array<{ value: number; fraction: number }> = [];
  for (let i = 0; i < n; i += step) out.push({ value: s[i] as number, fraction: (i + 1) / n });
  if (out[out.length - 1]?.fraction !== 1) out.push({ value: s[n - 1] as number, fraction: 1 });
  return out;
}
