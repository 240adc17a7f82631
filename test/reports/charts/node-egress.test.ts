import { describe, expect, it } from 'vitest';
import { nodeEgressSpec } from '../../../reports/charts/node-egress';
import { copySweepEnvelope, k6Envelope } from '../../fixtures/reports/envelopes';
import { at, rows } from '../spec-helpers';

describe('nodeEgressSpec', () => {
  it('plots P50..P99.9 of every configuration in one rate unit', () => {
    const spec = nodeEgressSpec(copySweepEnvelope());
    const data = rows(spec);
    expect(data).toHaveLength(25);
    expect(at(spec, 'encoding.color.scale.domain')).toEqual(['P50', 'P75', 'P90', 'P99', 'P99.9']);
    expect(at(spec, 'encoding.y.title')).toBe('MB/s');
    expect(data.find((r) => r.point === 'Mid' && r.quantile === 'P50')?.value).toBe(62);
    expect(data.find((r) => r.point === 'Baseline' && r.quantile === 'P50')?.display).toBe('18 MB/s');
  });

  it('is null without nodeEgressBps', () => {
    expect(nodeEgressSpec(k6Envelope())).toBeNull();
  });
});
