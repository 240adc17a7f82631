/** The measured-vs-simulated copy-sweep chart: points matched by copies and VUs, errors and bands. */
import { describe, expect, it } from 'vitest';
import type { Envelope, Point } from '../../../lib/results/envelope';
import { sweepErrorRows, sweepErrorSpec } from '../../../reports/charts/sweep-error';

const q = (p50: number, p90: number, p99: number) => ({ p50, p90, p99, max: p99 });
const env = (kind: 'k6' | 'sim', points: Point[], params: Record<string, unknown> = {}): Envelope => ({
  tool: 'stampede',
  kind,
  name: 'copy-sweep',
  seed: 1,
  params,
  metrics: {},
  points,
  runtime: { wallMs: 1, events: 1 },
});

const measured = env('k6', [
  {
    label: 'C=1',
    params: { 'storage.copies': 1, 'workload.nodes': 200 },
    metrics: { pullS: q(40, 50, 60), throttleEvents: 200, hotBackendRatio: 1.2 },
  },
  {
    label: 'C=8',
    params: { 'storage.copies': 8, 'workload.nodes': 200 },
    metrics: { pullS: q(20, 25, 30), throttleEvents: 0 },
  },
  {
    label: 'C=8 V=400',
    params: { 'storage.copies': 8, 'workload.nodes': 400 },
    metrics: { pullS: q(30, 35, 40) },
  },
]);
// Simulated at 200 nodes (the envelope's workload), labels of its own.
const simulated = env(
  'sim',
  [
    { label: 'C=8', params: { 'storage.copies': 8 }, metrics: { pullS: q(22, 25, 36), throttleEvents: 3 } },
    {
      label: 'C=1',
      params: { 'storage.copies': 1 },
      metrics: { pullS: q(36, 50, 60), throttleEvents: 180, hotBackendRatio: 1 },
    },
  ],
  { workload: { nodes: 200 } },
);

describe('sweep-error chart', () => {
  it('matches by copies and fleet, one row per figure, error = simulated / measured - 1', () => {
    const rows = sweepErrorRows(measured, simulated);
    // C=8 at 400 VUs has no simulated point at 400 nodes: left out.
    expect([...new Set(rows.map((r) => r.point))]).toEqual(['C=1 V=200', 'C=8 V=200']);
    const c1 = rows.filter((r) => r.point === 'C=1 V=200');
    expect(c1.map((r) => r.figure)).toEqual(['P50', 'P90', 'P99', 'hottest / ceiling']);
    expect(c1[0]?.error).toBeCloseTo(-0.1, 10);
    expect(c1[3]?.error).toBeCloseTo(1 / 1.2 - 1, 10);
    expect(c1[0]).toMatchObject({ measured503: 200, simulated503: 180, band: 0.1 });
    const p99 = rows.find((r) => r.point === 'C=8 V=200' && r.figure === 'P99');
    expect(p99?.band).toBe(0.15);
    expect(p99?.error).toBeCloseTo(0.2, 10);
  });

  it('draws only for a measured and a simulated run', () => {
    const r = (e: Envelope) => ({ envelope: e, raw: [], label: e.kind });
    expect(sweepErrorSpec([r(measured), r(simulated)])).not.toBeNull();
    expect(sweepErrorSpec([r(measured), r(measured)])).toBeNull();
  });
});
