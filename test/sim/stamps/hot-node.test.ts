/**
 * The hot-node probe (simulate.ts HotNodeProbe, hot-node.ts): the parts it records are the
 * hottest node's load, whose demand it is, and probing changes nothing it observes.
 */
import { describe, expect, it } from 'vitest';
import { simulatePhases } from '../../../sim/models/stamps/model';
import { parsePhase } from '../../../sim/models/stamps/phases';
import { buildRegistries } from '../../../sim/models/stamps/region';
import type { HotNodeProbe } from '../../../sim/models/stamps/simulate';
import { small } from './helpers';

const probed = (p: ReturnType<typeof small>, seed: number) => {
  const registries = buildRegistries(p);
  const probe: HotNodeProbe = {
    stamp: 'A',
    pool: 'dataproxy',
    groups: 2,
    group: Uint8Array.from(registries.map((r) => (r.tenant === 'cust' ? 1 : 0))),
  };
  const phases = [parsePhase('cust-01..cust-12>B', 'test')];
  const run = simulatePhases(p, phases, seed, { registries, probe });
  const series = run.series.find((s) => s.stamp === 'A' && s.pool === 'dataproxy');
  if (!series || !probe.node || !probe.parts || !probe.nodes) throw new Error('not probed');
  return { run, series, probe: probe as Required<HotNodeProbe> };
};

describe('hot-node probe', () => {
  it("the hottest node's parts add up to its CPU, and the customer has none on it once moved", () => {
    const p = small();
    const { run, series, probe } = probed(p, 3);
    let checked = 0;
    for (let t = 0; t < series.hot.length; t++) {
      const node = probe.node[t] as number;
      if (node < 0 || (series.hot[t] as number) >= 100) continue;
      const b = (t * probe.nodes + node) * 4;
      const sum = [0, 1, 2, 3].reduce((s, c) => s + (probe.parts[b + c] as number), 0);
      expect(3 + (100 * sum) / 8).toBeCloseTo(series.hot[t] as number, 2);
      checked++;
    }
    expect(checked).toBeGreaterThan(1000);
    // After the cutover (and its drain minute) nothing of the customer's is on A.
    const cut = run.timeline.phases[0]?.cutover as number;
    for (let t = cut + 1; t < series.hot.length; t++) {
      const b = (t * probe.nodes + (probe.node[t] as number)) * 4;
      expect((probe.parts[b + 2] as number) + (probe.parts[b + 3] as number)).toBe(0);
    }
  }, 60_000);

  it('probing does not change the run', () => {
    const p = small();
    const plain = simulatePhases(p, [parsePhase('cust-01..cust-12>B', 'test')], 3).signals;
    expect(probed(p, 3).run.signals).toEqual(plain);
  }, 60_000);

  it('even placement: every node carries 1/n of the customer, storms included', () => {
    const p = small({ dataproxyPool: { placement: 'even' } });
    const { series, probe } = probed(p, 2);
    for (let t = 0; t < 600; t++) {
      const n = series.nodes[t] as number;
      const b = t * probe.nodes * 4;
      for (let j = 1; j < n; j++)
        for (let c = 0; c < 4; c++)
          expect(probe.parts[(t * probe.nodes + j) * 4 + c]).toBeCloseTo(probe.parts[b + c] as number, 5);
    }
  }, 60_000);
});
