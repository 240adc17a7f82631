/** The two-sample KS test against closed forms and textbook values. */
import { describe, expect, it } from 'vitest';
import { kolmogorovQ, ksTwoSample, runLevelTest } from '../../lib/results/ks-test';

describe('kolmogorovQ', () => {
  it('matches the tabulated Kolmogorov distribution', () => {
    // Critical values of the asymptotic distribution: 1.358 at 0.05, 1.628 at 0.01.
    expect(kolmogorovQ(1.358)).toBeCloseTo(0.05, 3);
    expect(kolmogorovQ(1.628)).toBeCloseTo(0.01, 3);
    expect(kolmogorovQ(0)).toBe(1);
    expect(kolmogorovQ(10)).toBeLessThan(1e-80);
  });
});

describe('ksTwoSample', () => {
  it('D is 0 and p is 1 for the same sample', () => {
    const a = Array.from({ length: 200 }, (_, i) => i * 0.37);
    expect(ksTwoSample(a, [...a].reverse())).toMatchObject({ d: 0, p: 1, n: 200, m: 200 });
  });
  it('D is 1 and p ~0 for disjoint samples', () => {
    const a = Array.from({ length: 100 }, (_, i) => i);
    const b = a.map((x) => x + 1000);
    const r = ksTwoSample(a, b);
    expect(r.d).toBe(1);
    expect(r.p).toBeLessThan(1e-20);
  });
  it('D is the largest CDF gap, ties stepped together', () => {
    // a: 1,2,3,4  b: 3,4,5,6 -> after 2: F_a = 0.5, F_b = 0 -> D = 0.5 at 2 (and at 4: 1 - 0.5).
    expect(ksTwoSample([1, 2, 3, 4], [3, 4, 5, 6]).d).toBe(0.5);
    // Shifted by half of one step: D = 1/n.
    const a = Array.from({ length: 50 }, (_, i) => i);
    expect(
      ksTwoSample(
        a,
        a.map((x) => x + 0.5),
      ).d,
    ).toBeCloseTo(1 / 50, 12);
    // Ties across samples: identical multisets give 0.
    expect(ksTwoSample([1, 1, 2, 2], [2, 1, 2, 1]).d).toBe(0);
  });
});

describe('runLevelTest', () => {
  // Runs as samples from a shifted grid: a run's values are its offset plus a common spread.
  const run = (offset: number, n = 50) => Array.from({ length: n }, (_, i) => offset + i * 0.1);

  it('finds two clearly separated configurations at the smallest p the run count allows', () => {
    const a = [0, 0.05, 0.1, 0.15, 0.2].map((o) => run(o));
    const b = [10, 10.05, 10.1, 10.15, 10.2].map((o) => run(o));
    const r = runLevelTest(a, b);
    expect(r.labellings).toBe(252);
    expect(r.between).toBe(1);
    // The observed split and its mirror image are the two most extreme of 252.
    expect(r.p).toBeCloseTo(2 / 252, 12);
  });

  it('does not separate runs that drift as much within a configuration as across', () => {
    // Five drift levels, each configuration getting runs at every level: no group effect.
    const levels = [0, 1, 2, 3, 4];
    const a = levels.map((o) => run(o));
    const b = levels.map((o) => run(o + 0.02));
    const r = runLevelTest(a, b);
    expect(r.p).toBeGreaterThan(0.5);
    // KS on the values of two runs rejects at any level: their drift is far beyond what 50
    // independent draws allow, although it is the same for both configurations.
    expect(ksTwoSample(a[0] as number[], b[4] as number[]).p).toBeLessThan(1e-10);
  });

  it('counts every labelling once: C(4, 2) = 6 for two runs a side', () => {
    const r = runLevelTest([run(0), run(1)], [run(2), run(3)]);
    expect(r.labellings).toBe(6);
    expect(r.p).toBeGreaterThanOrEqual(1 / 6);
  });
});
