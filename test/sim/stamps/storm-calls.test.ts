/**
 * A storm's registry-pool calls per pool (traffic.stormImageShare, psi): a storm is nodes
 * pulling x bytes per node; the registry pool (auth, manifests, tags) serves each pulling
 * node's calls whatever the image's size. Its storm load is the registry's API-to-bytes
 * ratio x the storm's size / L_dataproxy^(psi beta). The ablation: two registries with
 * the same mix of calls to bytes, one four times the other; at beta 1 the big one's
 * storms are four times the bytes. With psi 0 its registry-pool storms are four times
 * bigger too; with psi 1 they are the same size as the small one's, and the dataproxy
 * pool does not change.
 */
import { describe, expect, it } from 'vitest';
import { simulatePhases } from '../../../sim/models/stamps/model';
import { oneStormyRegistry } from './helpers';

const run = (registryCores: number, dataproxyCores: number, psi: number) => {
  const p = oneStormyRegistry(
    { registryCores, dataproxyCores },
    { stormScaleExp: 1, stormImageShare: psi },
    { registryPool: { maxKeys: 1 } },
  );
  const series = simulatePhases(p, [], 1).series;
  const pool = (name: string) => {
    const s = series.find((x) => x.stamp === 'A' && x.pool === name);
    if (!s) throw new Error(`no ${name} pool`);
    return s;
  };
  const excess = (hot: ArrayLike<number>, cores: number) => {
    const base = 3 + (100 * cores) / 8;
    return Array.from(hot, (h) => ((h - base) * 8) / 100);
  };
  return {
    registry: excess(pool('registry').hot, registryCores),
    dataproxy: excess(pool('dataproxy').hot, dataproxyCores),
  };
};

/** The smallest storm on the pool (the Pareto's scale) and the median one, under the 100 % cap. */
const storms = (excess: number[], cores: number) => {
  const cap = ((100 - 3 - (100 * cores) / 8) * 8) / 100 - 1e-4;
  const x = excess.filter((v) => v > 1e-4 && v < cap).sort((a, b) => a - b);
  return { count: x.length, min: x[0] as number, median: x[x.length >> 1] as number };
};

describe('storm calls per pool (stormImageShare)', () => {
  it('psi 0: registry-pool storms scale with storm bytes; psi 1: they do not, and the dataproxy pool is unchanged', () => {
    const smallReg = { psi0: run(0.5, 2, 0), psi1: run(0.5, 2, 1) };
    const bigReg = { psi0: run(2, 8, 0), psi1: run(2, 8, 1) };
    // psi touches only the registry pool: the dataproxy series are the same to the bit.
    expect(smallReg.psi1.dataproxy).toEqual(smallReg.psi0.dataproxy);
    expect(bigReg.psi1.dataproxy).toEqual(bigReg.psi0.dataproxy);
    // Closed forms of the registry-pool storm scale, stormCores x L^((1 - psi) beta) x
    // (registry / dataproxy cores) at beta 1: psi 0, 0.5 x 2 x 0.25 = 0.25 (small) and
    // 0.5 x 8 x 0.25 = 1 (big); psi 1, 0.5 x 0.25 = 0.125 for both.
    const cases: Array<[number[], number, number]> = [
      [smallReg.psi0.registry, 0.5, 0.25],
      [bigReg.psi0.registry, 2, 1],
      [smallReg.psi1.registry, 0.5, 0.125],
      [bigReg.psi1.registry, 2, 0.125],
    ];
    for (const [excess, cores, scale] of cases) {
      const s = storms(excess, cores);
      // At beta 1 every registry has stormsPerCoreDay = 100 storms a day: ~200 in two days.
      expect(s.count).toBeGreaterThan(100);
      expect(s.min).toBeGreaterThanOrEqual(scale * 0.999);
      expect(s.min).toBeLessThan(scale * 1.05);
      // Pareto(4): the median is scale x 2^(1/4) = 1.19 scale; ~200 draws put the sample
      // median within +-0.1 scale of it (sd ~0.03 scale).
      expect(s.median).toBeGreaterThan(scale * 1.05);
      expect(s.median).toBeLessThan(scale * 1.4);
    }
    // The ablation in one line: a registry with four times the storm bytes has four times
    // the registry-pool storms at psi 0 and the same at psi 1.
    const ratio = (a: number[], b: number[], ca: number, cb: number) =>
      storms(a, ca).median / storms(b, cb).median;
    expect(ratio(bigReg.psi0.registry, smallReg.psi0.registry, 2, 0.5)).toBeGreaterThan(3);
    const same = ratio(bigReg.psi1.registry, smallReg.psi1.registry, 2, 0.5);
    expect(same).toBeGreaterThan(0.75);
    expect(same).toBeLessThan(1.33);
  }, 60_000);
});
