/**
 * The acr-stamps-2026 preset, phased as the post describes, against the published table;
 * and `plan.enabled` on the same region. Each run simulates about 12 days of 2,000
 * registries (a minute or two of CPU).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolve } from '../../../lib/config/schema';
import { stampsModel } from '../../../sim/models/stamps/plugin';
import type { Residual } from '../../../sim/models/stamps/published';
import { recordingIo } from './helpers';

const preset = JSON.parse(
  readFileSync(
    new URL('../../../sim/experiments/presets/stamps/acr-stamps-2026.json', import.meta.url),
    'utf8',
  ),
) as { params: unknown };
const params = (sets: string[] = []) =>
  resolve(stampsModel.schema, [{ source: 'preset acr-stamps-2026', tree: preset.params }], sets);

describe('acr-stamps-2026', () => {
  it('the phased move cools the hot node of every shared pool the customer left (in band at seed 1: B registry P95 and Max, see MET_P95)', () => {
    const p = params();
    stampsModel.validate?.(p, { layers: [], sets: [] });
    const result = stampsModel.run(p, 1, recordingIo().io);
    const res = result.metrics.tableResiduals as Residual[];
    expect(res.map((r) => `${r.stamp} ${r.pool}`)).toEqual([
      'A registry',
      'A dataproxy',
      'B registry',
      'B dataproxy',
    ]);
    for (const r of res.filter((x) => MET_P95.includes(`${x.stamp} ${x.pool}`)))
      expect(Math.abs(r.p95Residual), `${r.stamp} ${r.pool}: ${r.hotNodeP95ChangePct}%`).toBeLessThanOrEqual(
        3,
      );
    for (const r of res.filter((x) => MET_MAX.includes(`${x.stamp} ${x.pool}`)))
      expect(Math.abs(r.maxResidual), `${r.stamp} ${r.pool}: Max ${r.maxChangePts}`).toBeLessThanOrEqual(4);
    // Every pool the customer left is cooler at the hot node, and the phases are the post's seven plus right-sizing.
    for (const r of res) expect(r.hotNodeP95ChangePct).toBeLessThan(0);
    expect((result.metrics.phases as unknown[]).length).toBe(8);
  }, 900_000);

  it('--plan moves the customer first (with layer copies D can take it: projected 35.1 %), its registries smallest first, and every shared pool ends under the threshold', () => {
    const p = params(['plan.enabled=true', 'plan.thresholdPct=40']);
    const result = stampsModel.run(p, 1, recordingIo().io);
    const plan = result.metrics.plan as {
      decisions: Array<{ tenant: string; action: string; dest: string; registries: number }>;
    };
    // The customer carries the most demand on the hot stamps: it goes first, to the coolest
    // shared stamp, which the projection shows staying under the threshold (before layer
    // copies it projected D at 49 % and isolated; plan.test.ts checks the isolation case).
    expect(plan.decisions[0]).toMatchObject({ tenant: 'cust', action: 'move', dest: 'D', registries: 40 });
    const labels = (result.metrics.phases as Array<{ label: string }>).map((ph) => ph.label);
    const at = (name: string) => labels.findIndex((l) => l.includes(`${name} >`));
    expect(labels[0]).toMatch(/^tail: \d+ registries > D$/);
    expect([at('cust-04'), at('cust-03'), at('cust-02'), at('cust-01')]).toEqual([
      at('cust-04'),
      at('cust-04') + 1,
      at('cust-04') + 2,
      at('cust-04') + 3,
    ]);
    const signals = result.metrics.signals as Array<{ shared: boolean; after: { hotNodeP95: number } }>;
    for (const s of signals.filter((x) => x.shared)) expect(s.after.hotNodeP95).toBeLessThanOrEqual(40);
  }, 900_000);
});

/**
 * What the phased preset reproduces at seed 1 (sim/models/stamps/README.md, "Reproduced
 * table"): with layer copies, the second refit's values and Stamp B's others refit (3
 * registry, 7 dataproxy cores), B registry is within its bands at this seed, P95 and Max
 * (-31.0 % against -33, residual +2.0; -2.4 points against -3, residual +0.6; the run is
 * deterministic per seed). No other row is (A dataproxy -11.8 % against -34 %, B
 * dataproxy -22.9 % against -44 %: seed 1 is B dataproxy's worst seed in the one-shot run
 * too, -24.6 %); the test keeps the direction (every pool the customer left is cooler at
 * the hot node) and the phases. The medians over seeds are in preset-seeds.test.ts.
 */
const MET_P95 = ['B registry'];
const MET_MAX = ['B registry'];
