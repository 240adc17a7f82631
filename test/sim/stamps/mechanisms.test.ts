/**
 * The signals behave as the post says, over random seeds, and the placement mechanism is
 * what makes the hot node: small regions (3 stamps, 252 registries), 12-hour windows.
 */
import { describe, expect, it } from 'vitest';
import { simulatePhases } from '../../../sim/models/stamps/model';
import { parsePhase } from '../../../sim/models/stamps/phases';
import { small, spread } from './helpers';

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
const pool = (run: ReturnType<typeof simulatePhases>, stamp: string, kind: string) => {
  const s = run.signals.find((x) => x.stamp === stamp && x.pool === kind);
  if (!s) throw new Error(`no ${stamp} ${kind}`);
  return s;
};

describe('stamps signals over seeds', () => {
  it('Max is noisier than hot-node P95: its spread across seeds is larger', () => {
    const p = small();
    const runs = SEEDS.map((seed) => pool(simulatePhases(p, [], seed), 'A', 'dataproxy').before);
    const maxSpread = spread(runs.map((r) => r.max));
    const p95Spread = spread(runs.map((r) => r.hotNodeP95));
    expect(maxSpread).toBeGreaterThan(1.5 * p95Spread);
  }, 120_000);

  it('a pool can average ~6 % while one node sits near 99 %', () => {
    // A lightly loaded dataproxy pool of 40 nodes and one tenant whose deploy storms pull one
    // image: its largest layer's node takes the storm (cache affinity).
    const p = small(
      {
        dataproxyPool: { minInstances: [40, 12, 12], maxInstances: [80, 40, 40] },
        customer: { dataproxyCores: 3 },
        tenants: { dataproxyCores: [3, 5, 5] },
        traffic: { stormsPerCoreDay: 20, stormCores: 3 },
      },
      [],
    );
    for (const seed of [1, 2, 3, 4]) {
      const s = simulatePhases(p, [], seed).series.find((x) => x.stamp === 'A' && x.pool === 'dataproxy');
      if (!s) throw new Error('no pool');
      let found = false;
      for (let t = 0; t < 720; t++) if ((s.hot[t] as number) >= 95 && (s.avg[t] as number) <= 8) found = true;
      expect(found, `seed ${seed}`).toBe(true);
    }
  }, 120_000);

  it('hot-node P95 falls after the move while the pool average barely shows it', () => {
    const phases = [parsePhase('cust-01..cust-12>B', 'test')];
    for (const seed of [1, 2, 3]) {
      // A 30-node shared pool (other tenants 9 cores) with the customer's 4 cores on it.
      const p = small({
        dataproxyPool: { minInstances: [30, 12, 12], maxInstances: [60, 40, 40] },
        customer: { dataproxyCores: 4 },
        tenants: { dataproxyCores: [9, 1, 1] },
      });
      const a = pool(simulatePhases(p, phases, seed), 'A', 'dataproxy');
      const p95Drop = a.before.hotNodeP95 - a.after.hotNodeP95;
      const avgDrop = a.before.average - a.after.average;
      expect(p95Drop, `seed ${seed}`).toBeGreaterThan(3 * avgDrop);
    }
  }, 120_000);

  it('ablation: with perfectly even spreading hot-node P95 collapses to the pool average', () => {
    for (const seed of [1, 2]) {
      const keys = pool(simulatePhases(small(), [], seed), 'A', 'dataproxy').before;
      const even = pool(
        simulatePhases(
          small({ dataproxyPool: { placement: 'even' }, registryPool: { placement: 'even' } }),
          [],
          seed,
        ),
        'A',
        'dataproxy',
      ).before;
      expect(keys.hotNodeP95 - keys.average).toBeGreaterThan(10);
      // Even spreading: every node carries 1/n, so the hottest node is the average (minute noise aside).
      expect(even.hotNodeP95 - even.average).toBeLessThan(0.5 * (keys.hotNodeP95 - keys.average));
      expect(Math.abs(even.average - keys.average)).toBeLessThan(0.5);
    }
  }, 120_000);
});
