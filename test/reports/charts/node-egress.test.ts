import { describe, expect, it } from 'vitest';
import { nodeEgressSpec } from '../../../reports/charts/node-egress';
import { copySweepEnvelope, k6Envelope } from '../../fixtures/reports/envelopes';
import { at, drawInNode, rows } from '../spec-helpers';

describe('nodeEgressSpec', () => {
  it('plots P50..P99.9 of every configuration in one rate unit, drawn by the overlay', async () => {
    const spec = nodeEgressSpec(copySweepEnvelope());
    const data = rows(spec).filter((r) => r.row === 'series');
    expect(data).toHaveLength(25);
    expect(at(spec, 'layer.0.encoding.color.scale.domain')).toEqual(['P50', 'P75', 'P90', 'P99', 'P99.9']);
    expect(at(spec, 'layer.0.encoding.y.title')).toBe('MB/s');
    expect(data.find((r) => r.x === 'Mid' && r.group === 'P50')?.y).toBe(62);
    expect(data.find((r) => r.x === 'Baseline' && r.group === 'P50')?.value).toBe('18 MB/s');
    const d = await drawInNode(spec);
    expect(d.warnings).toEqual([]);
    expect(d.marks).toBeGreaterThan(0);
  });

  it('is null without nodeEgressBps', () => {
    expect(nodeEgressSpec(k6Envelope())).toBeNull();
  });
});
