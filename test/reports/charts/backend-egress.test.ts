import { describe, expect, it } from 'vitest';
import { backendEgressSpec } from '../../../reports/charts/backend-egress';
import { CEILING_BPS, copySweepEnvelope, k6Envelope, SWEEP_LABELS } from '../../fixtures/reports/envelopes';
import { at, rows } from '../spec-helpers';

describe('backendEgressSpec', () => {
  it('ranks backends by peak egress within each configuration', () => {
    const spec = backendEgressSpec(copySweepEnvelope());
    const data = rows(spec);
    expect(data).toHaveLength(5 * 12);
    for (const label of SWEEP_LABELS) {
      const peaks = data.filter((r) => r.point === label).map((r) => r.peak as number);
      expect(peaks).toEqual([...peaks].sort((a, b) => b - a));
    }
    expect(data.filter((r) => r.rank === 1)).toHaveLength(5);
  });

  it('draws the ceiling and marks the backends above it', () => {
    const env = copySweepEnvelope();
    const spec = backendEgressSpec(env);
    const data = rows(spec);
    // All values share one unit; the fixture's 2.5 GB/s ceiling reads 2.5 in GB/s.
    expect(at(spec, 'spec.layer.0.encoding.y.title')).toBe('peak egress (GB/s)');
    expect(new Set(data.map((r) => r.ceiling))).toEqual(new Set([CEILING_BPS / 1e9]));
    const above = data.filter((r) => r.status === 'above ceiling');
    const expected = env.points.flatMap((p) =>
      (p.metrics.backends ?? []).filter((b) => b.peakEgressBps > b.ceilingBps),
    );
    expect(above).toHaveLength(expected.length);
    expect(above.length).toBeGreaterThan(0);
    expect(above.every((r) => (r.peak as number) > (r.ceiling as number))).toBe(true);
    expect(at(spec, 'spec.layer.1.mark.type')).toBe('tick');
    expect(at(spec, 'spec.layer.1.encoding.y.field')).toBe('ceiling');
    expect(at(spec, 'facet.sort')).toEqual([...SWEEP_LABELS]);
  });

  it("puts each backend's 503s and refusal window in the tooltip, where the run recorded them", () => {
    const env = copySweepEnvelope();
    const spec = backendEgressSpec(env);
    expect(at(spec, 'spec.layer.0.encoding.tooltip.3')).toEqual({ field: 'throttleText', title: '503s' });
    const data = rows(spec);
    const base = env.points[0]?.metrics.backends ?? [];
    const hottest = base.reduce((a, b) => (b.peakEgressBps > a.peakEgressBps ? b : a));
    const row = data.find((r) => r.point === 'Baseline' && r.id === hottest.id);
    // The fixture's hottest backend: 1.75x the ceiling, 75 refusals from t = 20 s to 50 s.
    expect(row?.throttleText).toBe('75, from 20.0 s to 50.0 s');
    expect(data.filter((r) => r.throttleText === '0').length).toBeGreaterThan(0);
    // A run that did not count 503s per backend says so rather than showing 0.
    for (const p of env.points) for (const b of p.metrics.backends ?? []) delete b.throttles;
    expect(new Set(rows(backendEgressSpec(env)).map((r) => r.throttleText))).toEqual(
      new Set(['not recorded']),
    );
  });

  it('is null without backends, and skips malformed entries', () => {
    expect(backendEgressSpec(k6Envelope())).toBeNull();
    const e = k6Envelope();
    e.metrics.backends = [{ id: 'x' } as never];
    expect(backendEgressSpec(e)).toBeNull();
  });
});
