/** The two-sample KS test against closed forms and textbook values. */
import { describe, expect, it } from 'vitest';
import { kolmogorovQ, ksTwoSample } from '../../lib/results/ks-test';

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
