/**
 * Issue 13's target for the published table, asserted as it stands: under --preset
 * acr-copies-2026, every figure within +-5 % for the median over seeds 1-8, and at least 13
 * of 15 within +-5 % at each seed (seed = placement and arrival order). A fit to one seed
 * can hold all 15 at that seed and still miss here. Three medians miss today with the
 * working-set fan-out cost and no refit (Baseline P90 +6.7 %, Low P99 -18.5 %, Very high P99
 * -5.7 %: Low's tail rested on the cache expiry the working set replaced); they are kept as
 * `it.fails` targets, not loosened. Eight 1,000-node sweeps: about 8 s of CPU.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { resolve } from '../../lib/config/schema';
import { loadPreset } from '../../sim/experiments/presets';
import { readTargetTable } from '../../sim/experiments/target-table';
import { copySweepSchema } from '../../sim/models/copy-sweep/params';
import { runCopySweep } from '../../sim/models/copy-sweep/sweep';

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
const FIGURES = ['p50', 'p90', 'p99'] as const;
/** The medians that miss today (see the header); every other one must hold. */
const KNOWN_MISSES = new Set(['Baseline p90', 'Low p99', 'Very high p99']);

describe('published table over seeds 1-8 (issue 13)', () => {
  /** Relative error of each figure at each seed, by `<label> <figure>`. */
  const errors = new Map<string, number[]>();
  beforeAll(() => {
    const params = resolve(copySweepSchema, [
      { source: 'preset acr-copies-2026', tree: loadPreset('acr-copies-2026', 'copy-sweep').params },
    ]);
    const table = readTargetTable();
    for (const seed of SEEDS) {
      const points = runCopySweep(params, seed);
      for (const t of table.points) {
        const q = points.find((p) => p.label === t.label)?.run.metrics.podStartupS;
        for (const f of FIGURES) {
          const key = `${t.label} ${f}`;
          errors.set(key, [...(errors.get(key) ?? []), (q?.[f] ?? 0) / t.podStartupS[f] - 1]);
        }
      }
    }
  });
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return ((s[3] as number) + (s[4] as number)) / 2;
  };
  const pct = (e: number) => `${(100 * e).toFixed(1)} %`;

  it('12 of the 15 medians over seeds 1-8 are within 5 % (all but the three known misses)', () => {
    expect(errors.size).toBe(15);
    for (const [k, errs] of errors)
      if (!KNOWN_MISSES.has(k))
        expect(Math.abs(median(errs)), `${k}: median ${pct(median(errs))}`).toBeLessThanOrEqual(0.05);
  });

  it.fails('Baseline P90, Low P99 and Very high P99: median over seeds 1-8 within 5 % (target, missed)', () => {
    for (const k of KNOWN_MISSES) {
      const m = median(errors.get(k) ?? []);
      expect(Math.abs(m), `${k}: median ${pct(m)}`).toBeLessThanOrEqual(0.05);
    }
  });

  // Measured per seed 1-8: 12, 12, 12, 12, 11, 11, 11, 13.
  it('at least 11 of 15 figures within 5 % at every seed 1-8 (the floor today)', () => {
    for (const [i, seed] of SEEDS.entries()) {
      const inBand = [...errors.values()].filter((e) => Math.abs(e[i] as number) <= 0.05).length;
      expect(inBand, `seed ${seed}`).toBeGreaterThanOrEqual(11);
    }
  });

  it.fails('at least 13 of 15 within 5 % at every seed 1-8 (target, missed at some seeds)', () => {
    for (const [i, seed] of SEEDS.entries()) {
      const inBand = [...errors.values()].filter((e) => Math.abs(e[i] as number) <= 0.05).length;
      expect(inBand, `seed ${seed}`).toBeGreaterThanOrEqual(13);
    }
  });
});
