/**
 * Where a copy sweep's sweet spot sits: among the configurations that throttle nothing, the
 * fewest copies per layer whose pod-startup P99 is within `tolerance` of the best of them
 * (the post's "a moderate number helped a lot, and eliminated storage throttling
 * entirely"; more copies after that buy nothing). Throttling must be zero, not just P99
 * close: a configuration that still throttles sits on the edge of the cliff, whatever its
 * P99 says today. When every configuration throttles, the same rule runs over all of them.
 *
 * `pastRegression` is the largest P99 increase, relative to the sweet spot, among the
 * configurations with more copies: the "too many copies" cost.
 */
import type { Point } from './envelope';

export interface SweetSpot {
  label: string;
  copies: number;
  p99S: number;
  /** Best P99 of the throttle-free configurations (of all, when every one throttles). */
  bestP99S: number;
  tolerance: number;
  /** max over configurations with more copies of (their P99 / the sweet spot's P99 - 1); 0 if none is slower. */
  pastRegression: number;
  /** False when every configuration throttles: the spot is then only the best P99 of them (absent in older summaries: true). */
  throttleFree?: boolean;
  /** False when no configuration has more copies than the spot (absent in older summaries: true). */
  hasMore?: boolean;
}

export const SWEET_SPOT_TOLERANCE = 0.02;

export function sweetSpot(points: readonly Point[], tolerance = SWEET_SPOT_TOLERANCE): SweetSpot | undefined {
  const rows = points
    .map((p) => ({
      label: p.label,
      copies: Number(p.params['storage.copies']),
      p99: p.metrics.podStartupS?.p99 ?? Number.NaN,
      throttles: p.metrics.throttleEvents ?? 0,
    }))
    .filter((r) => Number.isFinite(r.copies) && Number.isFinite(r.p99))
    .sort((a, b) => a.copies - b.copies);
  if (rows.length === 0) return undefined;
  const free = rows.filter((r) => r.throttles === 0);
  const pool = free.length > 0 ? free : rows;
  const best = Math.min(...pool.map((r) => r.p99));
  const spot = pool.find((r) => r.p99 <= best * (1 + tolerance)) as (typeof rows)[number];
  const past = rows.filter((r) => r.copies > spot.copies).map((r) => r.p99 / spot.p99 - 1);
  return {
    label: spot.label,
    copies: spot.copies,
    p99S: spot.p99,
    bestP99S: best,
    tolerance,
    pastRegression: Math.max(0, ...past),
    throttleFree: free.length > 0,
    hasMore: past.length > 0,
  };
}

/** One sentence for the CLI and the report, e.g. "Mid (12 copies per layer): the fewest ...". */
export function describeSweetSpot(spot: SweetSpot, seconds: (s: number) => string): string {
  // Say only what was measured: no "more copies" clause when none was tried, and no "no
  // throttling" when every configuration throttled.
  const past =
    spot.hasMore === false
      ? '; no configuration with more copies was run, so whether more would help is unknown'
      : spot.pastRegression > 0
        ? `; more copies cost up to +${(spot.pastRegression * 100).toFixed(1)}% at P99`
        : '; more copies change nothing';
  const rule =
    spot.throttleFree === false
      ? 'every configuration throttles, so this is no sweet spot, only the fewest copies with a P99'
      : 'the fewest copies with no throttling and a P99';
  return `${spot.label} (${spot.copies} copies per layer): ${rule} within ${spot.tolerance * 100}% of the best (${seconds(spot.bestP99S)})${past}`;
}
