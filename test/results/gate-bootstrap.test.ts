import { quantileSorted } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { bootstrapQuantileDiff, minSamples, quantileR7, streamSeed } from '../../lib/results/gate/bootstrap';
import { createRng } from '../../sim/kernel/rng';

const rng = createRng(7);
const lognormal = (n: number, r = rng) => Array.from({ length: n }, () => Math.exp(r.normal(3, 0.4)));

describe('quantileR7', () => {
  it('is the quantile summary.json reports (simple-statistics, R-7)', () => {
    const s = lognormal(137).sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99, 0.999]) expect(quantileR7(s, q)).toBeCloseTo(quantileSorted(s, q), 12);
  });
});

describe('bootstrapQuantileDiff', () => {
  const b = lognormal(400);
  const c = lognormal(400);

  it('gives the full-sample quantiles and an interval around their difference', () => {
    const d = bootstrapQuantileDiff(b, c, 0.9, { resamples: 2000, confidence: 0.95, seed: 1 });
    const sb = [...b].sort((x, y) => x - y);
    const sc = [...c].sort((x, y) => x - y);
    expect(d.baseline).toBeCloseTo(quantileSorted(sb, 0.9), 12);
    expect(d.candidate).toBeCloseTo(quantileSorted(sc, 0.9), 12);
    expect(d.diff).toBeCloseTo(d.candidate - d.baseline, 12);
    expect(d.lo).toBeLessThan(d.diff);
    expect(d.hi).toBeGreaterThan(d.diff);
  });

  it('is reproducible: the same seed gives the same interval, another seed a nearby one', () => {
    const o = { resamples: 1000, confidence: 0.95 };
    const one = bootstrapQuantileDiff(b, c, 0.5, { ...o, seed: 3 });
    expect(bootstrapQuantileDiff(b, c, 0.5, { ...o, seed: 3 })).toEqual(one);
    const other = bootstrapQuantileDiff(b, c, 0.5, { ...o, seed: 4 });
    expect(other.lo).not.toBe(one.lo);
    expect(Math.abs(other.lo - one.lo)).toBeLessThan((one.hi - one.lo) / 4);
  });

  it('matches a naive bootstrap (sort every resample) in distribution', () => {
    // The counting walk must pick the same order statistics as sorting the resample does:
    // with the same draws both give identical intervals, so compare on a tiny sample by hand.
    const small = [5, 1, 4, 2, 3];
    const n = small.length;
    const sorted = [...small].sort((x, y) => x - y);
    const r = createRng(11);
    const naive: number[] = [];
    for (let k = 0; k < 500; k++) {
      const cand = Array.from({ length: n }, () => sorted[r.int(n)] as number).sort((x, y) => x - y);
      const base = Array.from({ length: n }, () => sorted[r.int(n)] as number).sort((x, y) => x - y);
      naive.push(quantileR7(cand, 0.7) - quantileR7(base, 0.7));
    }
    naive.sort((x, y) => x - y);
    const d = bootstrapQuantileDiff(small, small, 0.7, { resamples: 500, confidence: 0.9, seed: 11 });
    expect(d.lo).toBeCloseTo(quantileR7(naive, 0.05), 12);
    expect(d.hi).toBeCloseTo(quantileR7(naive, 0.95), 12);
  });

  it('covers the true zero difference about as often as it claims (null calibration)', () => {
    // Two samples of one distribution, 120 times: a 90% interval must miss 0 about 10% of
    // the time (12 expected, binomial sd 3.3).
    const r = createRng(99);
    let misses = 0;
    for (let t = 0; t < 120; t++) {
      const d = bootstrapQuantileDiff(lognormal(150, r), lognormal(150, r), 0.5, {
        resamples: 300,
        confidence: 0.9,
        seed: t,
      });
      if (d.lo > 0 || d.hi < 0) misses++;
    }
    expect(misses).toBeGreaterThanOrEqual(3);
    expect(misses).toBeLessThanOrEqual(24);
  });

  it('detects a real shift: +20% on every sample puts the whole interval above 0', () => {
    const d = bootstrapQuantileDiff(
      b,
      b.map((x) => x * 1.2),
      0.9,
      { resamples: 1000, confidence: 0.95, seed: 1 },
    );
    expect(d.lo).toBeGreaterThan(0);
    expect(d.diff / d.baseline).toBeCloseTo(0.2, 10);
  });
});

describe('minSamples', () => {
  it('asks for 5 samples beyond the quantile on its short side', () => {
    expect(minSamples(0.5)).toBe(10);
    expect(minSamples(0.9)).toBe(50);
    expect(minSamples(0.99)).toBe(500);
    expect(minSamples(0.999)).toBe(5000);
  });
});

describe('streamSeed', () => {
  it('gives each check its own stream, fixed by seed and name', () => {
    expect(streamSeed(1, 'pullS.p99')).toBe(streamSeed(1, 'pullS.p99'));
    expect(streamSeed(1, 'pullS.p99')).not.toBe(streamSeed(1, 'pullS.p90'));
    expect(streamSeed(1, 'pullS.p99')).not.toBe(streamSeed(2, 'pullS.p99'));
  });
});
