/**
 * Two-sample Kolmogorov-Smirnov test: whether two samples (pull durations of two runs)
 * could come from one distribution. D is the largest gap between their empirical CDFs;
 * the p-value is the asymptotic Kolmogorov distribution with Stephens' small-sample
 * correction (Numerical Recipes, 3rd ed., 14.3.3), good for n, m >= ~20. Ties are handled
 * by stepping both CDFs past a shared value together.
 */

export interface KsResult {
  d: number;
  p: number;
  n: number;
  m: number;
}

export function ksTwoSample(a: readonly number[], b: readonly number[]): KsResult {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  const n = x.length;
  const m = y.length;
  if (n === 0 || m === 0) return { d: Number.NaN, p: Number.NaN, n, m };
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const v = Math.min(x[i] as number, y[j] as number);
    while (i < n && (x[i] as number) <= v) i++;
    while (j < m && (y[j] as number) <= v) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  const ne = Math.sqrt((n * m) / (n + m));
  return { d, p: kolmogorovQ((ne + 0.12 + 0.11 / ne) * d), n, m };
}

/** P(K > lambda) for the Kolmogorov distribution: 2 sum_{j>=1} (-1)^(j-1) exp(-2 j^2 lambda^2). */
export function kolmogorovQ(lambda: number): number {
  if (lambda < 1e-3) return 1;
  let sum = 0;
  for (let j = 1; j <= 100; j++) {
    const term = (j % 2 === 1 ? 2 : -2) * Math.exp(-2 * j * j * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return Math.min(1, Math.max(0, sum));
}

export interface RunLevelResult {
  /** Mean KS D over pairs of runs of different groups. */
  between: number;
  /** Mean KS D over pairs of runs of the same group (the run-to-run noise). */
  within: number;
  /** Share of the relabellings of the runs into two groups of the same sizes whose between - within is at least the observed. */
  p: number;
  /** Relabellings counted (all of them: C(n, k)). */
  labellings: number;
}

/**
 * Whether two configurations differ by more than two runs of one configuration do, when
 * every run is a sample of many correlated values (the pulls of one run share its lab,
 * its machine load and its start): KS on the pooled values treats 1,000 pulls as 1,000
 * independent draws and rejects whenever runs drift, as two runs of one configuration do
 * on a shared machine. Here the unit is the run: the statistic is the mean KS distance
 * between runs of different groups minus the mean within groups, and its p-value is exact
 * over every relabelling of the runs into groups of the same sizes (a permutation test;
 * with 5 + 5 runs, 252 labellings, the smallest possible p is 2/252).
 */
export function runLevelTest(
  a: readonly (readonly number[])[],
  b: readonly (readonly number[])[],
): RunLevelResult {
  const runs = [...a, ...b];
  const n = runs.length;
  const k = a.length;
  const d: number[][] = runs.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const v = ksTwoSample(runs[i] as number[], runs[j] as number[]).d;
      (d[i] as number[])[j] = v;
      (d[j] as number[])[i] = v;
    }
  const split = (inA: readonly boolean[]) => {
    let bSum = 0;
    let bN = 0;
    let wSum = 0;
    let wN = 0;
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        const v = (d[i] as number[])[j] as number;
        if (inA[i] === inA[j]) {
          wSum += v;
          wN++;
        } else {
          bSum += v;
          bN++;
        }
      }
    return { between: bN ? bSum / bN : Number.NaN, within: wN ? wSum / wN : Number.NaN };
  };
  const observed = split(runs.map((_, i) => i < k));
  const stat = observed.between - observed.within;
  let atLeast = 0;
  let labellings = 0;
  // Every k-subset of the n runs as group a (n is a handful of runs: C(10, 5) = 252).
  const pick = (from: number, chosen: boolean[], left: number): void => {
    if (left === 0) {
      const s = split(chosen);
      labellings++;
      if (s.between - s.within >= stat - 1e-12) atLeast++;
      return;
    }
    for (let i = from; i <= n - left; i++) {
      chosen[i] = true;
      pick(i + 1, chosen, left - 1);
      chosen[i] = false;
    }
  };
  pick(0, new Array<boolean>(n).fill(false), k);
  return { ...observed, p: atLeast / labellings, labellings };
}
