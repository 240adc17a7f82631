/**
 * The three CPU signals exactly as the post defines them, over one peak window of
 * per-minute bins: pool-average CPU (mean over bins of the mean over nodes), single-sample
 * Max (the highest 1-minute sample of any node), hot-node P95 (per bin the hottest node's
 * average CPU, then the 95th percentile across bins).
 */
import type { PoolSeries } from './simulate';

export interface Signals {
  hotNodeP95: number;
  max: number;
  average: number;
}

/** Linear-interpolation percentile (the usual "type 7") of values already sorted ascending. */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = ((sorted.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

export function signals(s: PoolSeries, from: number, minutes: number, percentile = 95): Signals {
  const hot: number[] = [];
  let avgSum = 0;
  let max = 0;
  for (let t = from; t < from + minutes && t < s.hot.length; t++) {
    const h = s.hot[t] as number;
    if (Number.isNaN(h)) continue;
    hot.push(h);
    avgSum += s.avg[t] as number;
    if (h > max) max = h;
  }
  hot.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    hotNodeP95: round(percentileSorted(hot, percentile)),
    max: round(max),
    average: round(hot.length ? avgSum / hot.length : Number.NaN),
  };
}
