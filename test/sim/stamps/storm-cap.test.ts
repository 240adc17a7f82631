/**
 * A storm's bytes capped by its registry (traffic.stormCapX): a storm is a registry's
 * clients pulling one image at once, and its bytes on the dataproxy pool are at most
 * stormCapX x the registry's own peak dataproxy demand, so a small tenant cannot burst what
 * the big customer's fleet does. Its registry-pool calls (one set per pulling node) keep the
 * drawn size, and the Pareto draws are the same with or without the cap. One registry of
 * 0.5 registry and 2 dataproxy cores, flat demand, one connection and one layer copy, ~200
 * storms of Pareto(4) scale 0.5 core in two days (helpers.ts oneStormyRegistry): every
 * minute above the baseline on a pool's hot node is a storm, its excess the storm's load.
 */
import { describe, expect, it } from 'vitest';
import { simulatePhases } from '../../../sim/models/stamps/model';
import { oneStormyRegistry } from './helpers';

const REG = 0.5;
const DP = 2;

const run = (capX: number) => {
  const p = oneStormyRegistry(
    { registryCores: REG, dataproxyCores: DP },
    { stormCapX: capX },
    { registryPool: { maxKeys: 1 } },
  );
  const series = simulatePhases(p, [], 1).series;
  const excess = (name: string, cores: number) => {
    const s = series.find((x) => x.stamp === 'A' && x.pool === name);
    if (!s) throw new Error(`no ${name} pool`);
    const base = 3 + (100 * cores) / 8;
    return Array.from(s.hot, (h) => ((h - base) * 8) / 100).filter((v) => v > 1e-4);
  };
  return { registry: excess('registry', REG), dataproxy: excess('dataproxy', DP) };
};

describe('storm bytes capped by their registry (stormCapX)', () => {
  it("caps a storm's dataproxy bytes at stormCapX x the registry's peak bytes, leaves its registry-pool calls and its count alone", () => {
    const free = run(0);
    // stormCapX 0.4: the cap is 0.4 x 2 = 0.8 core, 1.6 x the Pareto's scale; P(X > 1.6) =
    // 1.6^-4 = 15 % of the storms are cut to it.
    const capped = run(0.4);
    const cap = 0.4 * DP;
    expect(free.dataproxy.length).toBeGreaterThan(100);
    // Uncapped, the largest storms go past the cap (the median of ~30 draws above it is ~1 core).
    expect(free.dataproxy.filter((v) => v > cap + 1e-3).length).toBeGreaterThan(10);
    // Capped: no storm minute carries more than the cap, the same minutes have a storm, and
    // those under the cap are the same storms to the bit.
    expect(Math.max(...capped.dataproxy)).toBeLessThanOrEqual(cap + 1e-9);
    expect(capped.dataproxy.length).toBe(free.dataproxy.length);
    const atCap = capped.dataproxy.filter((v) => Math.abs(v - cap) < 1e-9).length;
    expect(atCap).toBe(free.dataproxy.filter((v) => v >= cap - 1e-9).length);
    expect(capped.dataproxy.filter((v) => v < cap - 1e-9)).toEqual(
      free.dataproxy.filter((v) => v < cap - 1e-9),
    );
    // The registry pool sees the storm's pulling nodes, not its bytes: unchanged to the bit.
    expect(capped.registry).toEqual(free.registry);
  }, 60_000);
});
