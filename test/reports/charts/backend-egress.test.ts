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

  it('is null without backends, and skips malformed entries', () => {
    expect(backendEgressSpec(k6Envelope())).toBeNull();
    const e = k6Envelope();
    e.metrics.backends = [{ id: 'x' } as never];
    expect(backendEgressSpec(e)).toBeNull();
  });
});
