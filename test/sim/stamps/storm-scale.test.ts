/**
 * How a deploy storm scales with its registry (traffic.stormScaleExp, beta): a registry of
 * L cores has stormsPerCoreDay x L^(1 - beta) storms a day, each stormCores x
 * L_dataproxy^beta x Pareto(stormTail). Closed forms on the count and the size.
 */
import { describe, expect, it } from 'vitest';
import { simulatePhases } from '../../../sim/models/stamps/model';
import { buildRegistries } from '../../../sim/models/stamps/region';
import { oneStormyRegistry, small } from './helpers';

describe('storm scale', () => {
  // Other tenants only (240 registries, 24 cores over three stamps), two days.
  const tenants = (beta: number) =>
    small({
      customer: { registries: 0 },
      run: { days: 2 },
      traffic: { stormScaleExp: beta, stormsPerCoreDay: 4, dailyAmplitude: 0.35 },
    });

  it('storms a day: stormsPerCoreDay x L^(1 - beta) per registry, thinned by the daily shape', () => {
    for (const beta of [0, 0.5, 1]) {
      const p = tenants(beta);
      // The shape's mean over whole days is 1 / (1 + a): a storm is kept with the shape's value.
      const perDay = buildRegistries(p).reduce((s, r) => s + 4 * (r.peak[0] + r.peak[1]) ** (1 - beta), 0);
      const expected = (perDay * 2) / 1.35;
      for (const seed of [1, 2]) {
        const storms = simulatePhases(p, [], seed).storms;
        // Poisson: 5 standard deviations (beta 0: 142 +- 12; beta 1: 1,422 +- 38).
        expect(
          Math.abs(storms - expected),
          `beta ${beta} seed ${seed}: ${storms} vs ${expected}`,
        ).toBeLessThan(5 * Math.sqrt(expected));
      }
    }
  }, 60_000);

  it("one storm's size: stormCores x L_dataproxy^beta x Pareto, at least the scale", () => {
    // One registry of 2 dataproxy cores on one node, flat demand: every minute above the
    // baseline is a storm, its excess the storm's size.
    for (const beta of [0, 1]) {
      const p = oneStormyRegistry({ registryCores: 0.5, dataproxyCores: 2 }, { stormScaleExp: beta });
      const s = simulatePhases(p, [], 1).series.find((x) => x.stamp === 'A' && x.pool === 'dataproxy');
      if (!s) throw new Error('no pool');
      const base = 3 + (100 * 2) / 8;
      const excess = [...s.hot].map((h) => ((h - base) * 8) / 100).filter((x) => x > 1e-4);
      const scale = 0.5 * 2 ** beta;
      expect(excess.length).toBeGreaterThan(20);
      // Capped at 100 % CPU: only storms under the cap are read.
      const under = excess.filter((x) => x < ((100 - base) * 8) / 100 - 1e-4);
      expect(Math.min(...under)).toBeGreaterThanOrEqual(scale * 0.999);
      expect(Math.min(...under)).toBeLessThan(scale * 1.05);
      // Pareto(4): the median is scale x 2^(1/4).
      const sorted = [...under].sort((a, b) => a - b);
      expect(sorted[sorted.length >> 1] as number).toBeGreaterThan(scale * 1.05);
      expect(sorted[sorted.length >> 1] as number).toBeLessThan(scale * 1.45);
    }
  }, 60_000);
});
