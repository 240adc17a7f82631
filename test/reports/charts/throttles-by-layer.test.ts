import { describe, expect, it } from 'vitest';
import { throttlesByLayerSpec } from '../../../reports/charts/throttles-by-layer';
import {
  copySweepEnvelope,
  k6Envelope,
  LAYER_SHARES,
  SWEEP_LABELS,
  THROTTLES,
} from '../../fixtures/reports/envelopes';
import { at, emptyEnvelope, rows } from '../spec-helpers';

describe('throttlesByLayerSpec', () => {
  it('has one cell per configuration and layer, holding that layer’s 503s', () => {
    const spec = throttlesByLayerSpec(copySweepEnvelope());
    const data = rows(spec);
    expect(data).toHaveLength(SWEEP_LABELS.length * LAYER_SHARES.length);
    for (const label of SWEEP_LABELS) {
      const cells = data.filter((r) => r.point === label);
      expect(cells.map((r) => r.layer)).toEqual(LAYER_SHARES.map((_, i) => i));
      expect(cells.reduce((s, r) => s + (r.throttles as number), 0)).toBe(THROTTLES[label]);
    }
    // Baseline's most refused layer is the fixture's biggest share.
    const base = data.filter((r) => r.point === 'Baseline');
    const worst = base.reduce((a, b) => ((b.throttles as number) > (a.throttles as number) ? b : a));
    expect(worst.layer).toBe(LAYER_SHARES.indexOf(Math.max(...LAYER_SHARES)));
  });

  it('keeps configurations in sweep order and labels only refused cells', () => {
    const spec = throttlesByLayerSpec(copySweepEnvelope());
    expect(at(spec, 'layer.0.mark.type')).toBe('rect');
    expect(at(spec, 'layer.0.encoding.y.sort')).toEqual([...SWEEP_LABELS]);
    expect(at(spec, 'layer.0.encoding.color.scale.domainMin')).toBe(0);
    expect(at(spec, 'layer.0.encoding.color.condition.test')).toBe('datum.throttles === 0');
    // Labels turn white on the darker half: above half of Baseline's worst layer.
    const worst = Math.max(...rows(spec).map((r) => r.throttles as number));
    expect(at(spec, 'layer.1.encoding.color.condition.test')).toBe(`datum.throttles > ${worst / 2}`);
    expect(at(spec, 'layer.1.transform.0.filter')).toBe('datum.throttles > 0');
  });

  it('is null when no configuration refused a layer or none counted per layer', () => {
    const quiet = copySweepEnvelope();
    for (const p of quiet.points) p.metrics.throttlesByLayer = [0, 0, 0];
    expect(throttlesByLayerSpec(quiet)).toBeNull();
    expect(throttlesByLayerSpec(k6Envelope())).toBeNull();
    expect(throttlesByLayerSpec(emptyEnvelope())).toBeNull();
    const malformed = copySweepEnvelope();
    for (const p of malformed.points) p.metrics.throttlesByLayer = ['x'];
    expect(throttlesByLayerSpec(malformed)).toBeNull();
  });
});
