/**
 * The time axis every per-bin chart of a k6 run shares: bins of agg.binS seconds from the
 * run's start, drawn as bars from t to t2, over the whole run (so panels line up with the
 * load-over-time chart even where a series has no rows).
 */
import type { K6Aggregate } from '../k6-aggregate';

/** Rows with their bin's end `t2` (rounded to the ms: floating sums would show in tooltips). */
export function withBinEnd<R extends { t: number }>(
  rows: readonly R[],
  binS: number,
): Array<R & { t2: number }> {
  return rows.map((r) => ({ ...r, t2: Math.round((r.t + binS) * 1000) / 1000 }));
}

/** The x encoding: seconds since start, over the whole run. */
export function binAxis(agg: K6Aggregate) {
  const last = agg.load[agg.load.length - 1]?.t ?? 0;
  return {
    field: 't',
    type: 'quantitative',
    title: `seconds since start (bins of ${agg.binS} s)`,
    scale: { domain: [0, last + agg.binS] },
  } as const;
}
