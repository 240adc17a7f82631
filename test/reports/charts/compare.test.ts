import { describe, expect, it } from 'vitest';
import { compareQuantilesSpec } from '../../../reports/charts/compare-quantiles';
import { compareScalarsSpec } from '../../../reports/charts/compare-scalars';
import type { ReportRun } from '../../../reports/types';
import { copySweepEnvelope, k6Envelope, SWEEP_LABELS } from '../../fixtures/reports/envelopes';
import { at, rows } from '../spec-helpers';

function twoSweeps(): ReportRun[] {
  const b = copySweepEnvelope();
  for (const p of b.points) if (p.metrics.podStartupS) p.metrics.podStartupS.p99 += 60;
  return [
    { envelope: copySweepEnvelope(), raw: [], label: 'copy-sweep (a)' },
    { envelope: b, raw: [], label: 'copy-sweep (b)' },
  ];
}

describe('compareQuantilesSpec', () => {
  it('has one series per run and one panel per quantile', () => {
    const spec = compareQuantilesSpec(twoSweeps(), 'podStartupS');
    const data = rows(spec);
    expect(data).toHaveLength(2 * 5 * 3);
    const p99 = (run: string, point: string) =>
      data.find((r) => r.run === run && r.point === point && r.quantile === 'P99')?.value;
    expect(p99('copy-sweep (a)', 'Baseline')).toBe(842);
    expect(p99('copy-sweep (b)', 'Baseline')).toBe(902);
    expect(at(spec, 'encoding.color.field')).toBe('run');
    expect(at(spec, 'encoding.color.sort')).toEqual(['copy-sweep (a)', 'copy-sweep (b)']);
    expect(at(spec, 'encoding.column.field')).toBe('quantile');
    expect(at(spec, 'encoding.x.sort')).toEqual([...SWEEP_LABELS]);
  });

  it('is null unless two runs have the metric', () => {
    const [a] = twoSweeps();
    if (!a) throw new Error('fixture');
    expect(compareQuantilesSpec([a], 'podStartupS')).toBeNull();
    expect(
      compareQuantilesSpec([a, { envelope: k6Envelope(), raw: [], label: 'k6' }], 'podStartupS'),
    ).toBeNull();
  });
});

describe('compareScalarsSpec', () => {
  it('puts each one-number metric in its own row, runs side by side', () => {
    const spec = compareScalarsSpec(twoSweeps());
    const data = rows(spec);
    expect(new Set(data.map((r) => r.metric))).toEqual(
      new Set(['throttle events', 'hot backend / ceiling', 'node egress P50 (MB/s)']),
    );
    expect(
      data.find((r) => r.run === 'copy-sweep (b)' && r.point === 'Baseline' && r.metric === 'throttle events')
        ?.value,
    ).toBe(4210);
    expect(data.find((r) => r.point === 'Mid' && r.metric === 'node egress P50 (MB/s)')?.value).toBe(62);
    expect(at(spec, 'encoding.xOffset.field')).toBe('run');
    expect(at(spec, 'resolve.scale.y')).toBe('independent');
  });

  it('compares a sweep with a k6 run on the metrics they have', () => {
    const [a] = twoSweeps();
    if (!a) throw new Error('fixture');
    const data = rows(compareScalarsSpec([a, { envelope: k6Envelope(), raw: [], label: 'k6' }]));
    expect(data.filter((r) => r.run === 'k6')).toEqual([
      { run: 'k6', point: 'cold-pull', metric: 'throttle events', value: 5 },
      { run: 'k6', point: 'cold-pull', metric: 'errors', value: 7 },
    ]);
  });
});
