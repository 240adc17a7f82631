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
