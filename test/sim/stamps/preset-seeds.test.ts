/**
 * The acr-stamps-2026 preset over seeds, on the one-shot run the fit reads (day 0's peak
 * window, the whole customer cut over at midnight, day 1's window): the median over seeds
 * of each published figure against its band, and the spread across seeds (Max noisier
 * than hot-node P95). Eight seeds of 2,000 registries for 1.5 days: a minute or two.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolve } from '../../../lib/config/schema';
import { oneShot } from '../../../sim/models/stamps/fit';
import { stampsSchema } from '../../../sim/models/stamps/params';
import { residuals } from '../../../sim/models/stamps/published';
import { spread } from './helpers';

const preset = JSON.parse(
  readFileSync(
    new URL('../../../sim/experiments/presets/stamps/acr-stamps-2026.json', import.meta.url),
    'utf8',
  ),
) as { params: unknown };
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? (v[m] as number) : ((v[m - 1] as number) + (v[m] as number)) / 2;
};

describe('acr-stamps-2026 over seeds', () => {
  let runs: Array<ReturnType<typeof oneShot>> = [];
  let table: Array<ReturnType<typeof residuals>> = [];
  beforeAll(() => {
    const p = resolve(stampsSchema, [{ source: 'preset acr-stamps-2026', tree: preset.params }]);
    runs = SEEDS.map((seed) => oneShot(p, seed));
    table = runs.map((sig) => residuals(sig));
  }, 600_000);

  it('the median over seeds of each hot-node P95 change is within 3 points of the published change', () => {
    for (const [i, row] of (table[0] ?? []).entries()) {
      if (!MET_P95.includes(`${row.stamp} ${row.pool}`)) continue;
      const m = median(table.map((t) => t[i]?.p95Residual as number));
      expect(Math.abs(m), `${row.stamp} ${row.pool}: median residual ${m}`).toBeLessThanOrEqual(3);
    }
  });

  it('the median over seeds of each Max figure is within 4 points of the published one', () => {
    for (const [i, row] of (table[0] ?? []).entries()) {
      if (!MET_MAX.includes(`${row.stamp} ${row.pool}`)) continue;
      const m = median(table.map((t) => t[i]?.maxResidual as number));
      expect(Math.abs(m), `${row.stamp} ${row.pool}: median residual ${m}`).toBeLessThanOrEqual(4);
    }
    // Stamp A dataproxy after the move: its hottest node "maxing out at 64 %".
    const after = median(
      runs.map((r) => r.find((s) => s.stamp === 'A' && s.pool === 'dataproxy')?.after.max as number),
    );
    expect(Math.abs(after - 64), `A dataproxy Max after: median ${after}`).toBeLessThanOrEqual(4);
  });

  it('Max is noisier than hot-node P95 across seeds on the pools the customer left, before and after', () => {
    for (const stamp of ['A', 'B'])
      for (const pool of ['registry', 'dataproxy'])
        for (const window of ['before', 'after'] as const) {
          // Stamp A dataproxy before the move was left out before layer copies (the hash draw
          // of the customer's top layers moved its P95 by 8 points sd); with copies: Max sd
          // 12.8 against P95 2.8 over seeds 1-8.
          const sig = runs.map((r) => r.find((s) => s.stamp === stamp && s.pool === pool)?.[window]);
          const max = spread(sig.map((s) => s?.max as number));
          const p95 = spread(sig.map((s) => s?.hotNodeP95 as number));
          expect(max, `${stamp} ${pool} ${window}: Max spread ${max}, P95 spread ${p95}`).toBeGreaterThan(
            p95,
          );
        }
  });

  it('hot-node P95 falls on every pool the customer left, in the median, far more than the pool average', () => {
    for (const stamp of ['A', 'B'])
      for (const pool of ['registry', 'dataproxy']) {
        const sig = runs.map((r) => r.find((s) => s.stamp === stamp && s.pool === pool));
        const p95 = median(sig.map((s) => (s?.before.hotNodeP95 ?? 0) - (s?.after.hotNodeP95 ?? 0)));
        const avg = median(sig.map((s) => (s?.before.average ?? 0) - (s?.after.average ?? 0)));
        expect(p95, `${stamp} ${pool}`).toBeGreaterThan(avg);
      }
  });
});

/**
 * The rows whose median over seeds 1-8 is in band (sim/models/stamps/README.md, "Seeds"),
 * round 2's preset: one copy per layer (`copyCores` 2), storm bytes capped at 70 x their
 * registry's peak bytes (`stormCapX`), Stamp B's others at 3 registry and 9 dataproxy cores
 * (one grid, scan.ts --in-band); the runs are deterministic per seed, so these medians are
 * exact: A registry P95 -6.5 %, Max -3.2; A dataproxy P95 -32.6 % (43 -> 28.5 published:
 * -34 %), Max after 63.2; B registry P95 -30.5 %, Max -0.5; B dataproxy P95 -42.3 %, Max
 * -6.8. Missed, and reported there: A dataproxy's Max before (84.9 against 96). On seeds
 * 9-16 (held out) 5 of 9: B's P95 rows, B registry's Max, A dataproxy's Max before and after.
 */
const MET_P95 = ['A registry', 'A dataproxy', 'B registry', 'B dataproxy'];
const MET_MAX = ['A registry', 'B registry', 'B dataproxy'];
