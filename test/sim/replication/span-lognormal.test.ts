/**
 * Push spans that vary (span-lognormal.ts): the closed form against the simulator and
 * against its fixed-T limit, and the selection-aware fit recovering a scattered share whose
 * pushes partly run longer than the flap interval (where reweighting the seen spans cannot).
 */
import { describe, expect, it } from 'vitest';
import { defaults } from '../../../lib/config/schema';
import { createRng } from '../../../sim/kernel/rng';
import { type ReplicationParams, replicationSchema } from '../../../sim/models/replication/params';
import { closedForm, simulateScatter } from '../../../sim/models/replication/scatter';
import {
  fitSelectedLognormal,
  muOfMean,
  normalCdf,
  wholeProbability,
} from '../../../sim/models/replication/span-lognormal';

const scatter = (over: Partial<ReplicationParams['scatter']>): ReplicationParams => {
  const base = defaults(replicationSchema) as ReplicationParams;
  return { ...base, scatter: { ...base.scatter, mitigations: ['none'], ...over } };
};

describe('lognormal push spans', () => {
  it('normalCdf matches known values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 6);
  });

  it('as sigma -> 0 the whole probability is the fixed-T 1 - T / I, and 0 past I', () => {
    for (const [T, I] of [
      [0.5, 2],
      [1.5, 2],
      [3, 2],
    ] as const) {
      const w = wholeProbability(muOfMean(T, 1e-4), 1e-4, I);
      expect(w).toBeCloseTo(Math.max(0, 1 - T / I), 3);
    }
  });

  it('the closed form agrees with the simulated share across seeds (per-request and per-connection)', () => {
    for (const [resolver, connections] of [
      ['per-request', 1],
      ['per-connection', 3],
    ] as const) {
      const p = scatter({
        pushes: 40_000,
        pushS: 0.9,
        pushSigma: 0.6,
        flapIntervalS: 2,
        layers: 2,
        resolver,
        connections,
      });
      const cf = closedForm(p.scatter, 'none') as number;
      expect(cf).toBeGreaterThan(0.05);
      for (const seed of [1, 2, 3]) {
        const share = simulateScatter(p, createRng(seed))[0]?.scatteredShare as number;
        // 40,000 pushes: the binomial SD is <= 0.0025; 4 SD
        expect(Math.abs(share - cf), `${resolver} seed ${seed}`).toBeLessThan(0.01);
      }
    }
  });

  it('sigma 0 leaves the simulation exactly as before (no extra random draws)', () => {
    const p = scatter({ pushes: 2_000, pushS: 0.4, flapIntervalS: 1 });
    const a = simulateScatter(p, createRng(7));
    const b = simulateScatter({ ...p, scatter: { ...p.scatter, pushSigma: 0 } }, createRng(7));
    expect(a).toEqual(b);
    expect(a[0]?.closedForm).toBeCloseTo(0.4, 12);
  });

  it('the fit recovers the scattered share from whole spans alone, tail beyond I included, across seeds', () => {
    const I = 2;
    for (const [meanS, sigma] of [
      [0.3, 0.4],
      [1.0, 0.7],
      [1.4, 0.6],
    ] as const) {
      const truth = 1 - wholeProbability(muOfMean(meanS, sigma), sigma, I);
      for (const seed of [1, 2, 3]) {
        const rng = createRng(seed);
        const whole: number[] = [];
        const n = 3_000;
        let scattered = 0;
        for (let i = 0; i < n; i++) {
          const T = Math.exp(rng.normal(muOfMean(meanS, sigma), sigma));
          // a flip lands in the span with probability min(1, T / I): uniform phase
          if (rng.uniform(0, I) < T) scattered++;
          else whole.push(T);
        }
        const fit = fitSelectedLognormal(whole, I);
        // the fit's error against the truth, not against this sample's own count. Seeds 1-4
        // put it within +-0.04 at mean 1.4 s (its tail beyond I extrapolated from ~1,100 whole
        // spans) and within +-0.001 at 0.3 s; reweighting the seen spans missed by 0.08-0.10.
        expect(Math.abs(fit.scatterShare - truth), `mean ${meanS} sigma ${sigma} seed ${seed}`).toBeLessThan(
          0.045,
        );
        expect(fit.sigma).toBeGreaterThan(sigma * 0.8);
        expect(fit.sigma).toBeLessThan(sigma * 1.2);
        // reweighting the seen spans misses the pushes longer than I: at mean 1.4 s it falls short
        if (meanS === 1.4) {
          const w = whole.map((t) => 1 / (1 - t / I));
          const ipw =
            whole.reduce((a, t, j) => a + (t / I) * (w[j] as number), 0) / w.reduce((a, b) => a + b, 0);
          expect(truth - ipw).toBeGreaterThan(0.05);
          expect(Math.abs(scattered / n - truth)).toBeLessThan(0.04);
        }
      }
    }
  });
});
