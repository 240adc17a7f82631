/**
 * Bootstrap confidence interval of the difference between one quantile of two samples
 * (candidate - baseline). Each resample draws n indices with replacement from the SORTED
 * sample and only counts how often each index was drawn, so a resample's quantile is a walk
 * over the counts: O(n) per resample, no sort. Quantiles are R-7 (linear interpolation),
 * the definition lib/results/stats uses for summary.json, so the point estimate here is the
 * figure the run's summary shows. Draws come from the seeded generator of sim/kernel: the
 * same inputs and seed give the same interval, so a CI verdict is reproducible.
 */
import { createRng, type Rng } from '../../../sim/kernel/rng';

export interface QuantileDiff {
  baseline: number;
  candidate: number;
  /** candidate - baseline of the full samples. */
  diff: number;
  /** Percentile interval of the resampled differences at `confidence`. */
  lo: number;
  hi: number;
  confidence: number;
  resamples: number;
}

/** R-7 quantile of a sorted array (numpy's default, simple-statistics' quantileSorted). */
export function quantileR7(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  if (lo + 1 >= n) return a;
  return a + (h - lo) * ((sorted[lo + 1] as number) - a);
}

/** The order statistics at 0-based ranks k and k+1 of a resample given by its counts. */
function quantileOfCounts(sorted: Float64Array, counts: Uint32Array, q: number): number {
  const n = sorted.length;
  const h = (n - 1) * q;
  const k = Math.floor(h);
  let seen = 0;
  let i = 0;
  // Index of the value at rank k: the first index whose cumulative count passes k.
  while (seen + (counts[i] as number) <= k) seen += counts[i++] as number;
  const a = sorted[i] as number;
  if (h === k || k + 1 >= n) return a;
  // Rank k+1 is the same value if this index was drawn more than once past k.
  let j = i;
  if (seen + (counts[j] as number) <= k + 1) {
    j++;
    while ((counts[j] as number) === 0) j++;
  }
  return a + (h - k) * ((sorted[j] as number) - a);
}

function resampleQuantile(sorted: Float64Array, counts: Uint32Array, q: number, rng: Rng): number {
  counts.fill(0);
  const n = sorted.length;
  for (let d = 0; d < n; d++) {
    const i = rng.int(n);
    counts[i] = (counts[i] as number) + 1;
  }
  return quantileOfCounts(sorted, counts, q);
}

/** FNV-1a of a check's name: each check draws from its own stream, whatever the rule order. */
export function streamSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function bootstrapQuantileDiff(
  baseline: readonly number[],
  candidate: readonly number[],
  q: number,
  o: { resamples: number; confidence: number; seed: number },
): QuantileDiff {
  if (baseline.length === 0 || candidate.length === 0)
    throw new RangeError('bootstrapQuantileDiff needs samples on both sides');
  const b = Float64Array.from(baseline).sort();
  const c = Float64Array.from(candidate).sort();
  const cb = new Uint32Array(b.length);
  const cc = new Uint32Array(c.length);
  const rng = createRng(o.seed);
  const diffs = new Float64Array(o.resamples);
  for (let r = 0; r < o.resamples; r++)
    diffs[r] = resampleQuantile(c, cc, q, rng) - resampleQuantile(b, cb, q, rng);
  diffs.sort();
  const tail = (1 - o.confidence) / 2;
  const qb = quantileR7(b, q);
  const qc = quantileR7(c, q);
  return {
    baseline: qb,
    candidate: qc,
    diff: qc - qb,
    lo: quantileR7(diffs, tail),
    hi: quantileR7(diffs, 1 - tail),
    confidence: o.confidence,
    resamples: o.resamples,
  };
}

/**
 * Samples needed for a bootstrap of quantile q to mean anything: at least 5 samples beyond
 * it on its short side (p99: 500, p90: 50, p50: 10). With fewer, every resample's quantile
 * is one of the same few extreme values and the interval is an artefact.
 */
export function minSamples(q: number): number {
  return Math.ceil(5 / Math.min(q, 1 - q) - 1e-9);
}
