import { describe, expect, it } from 'vitest';
import { podStartupSpec } from '../../../reports/charts/pod-startup';
import { copySweepEnvelope, PUBLISHED_STARTUP, SWEEP_LABELS } from '../../fixtures/reports/envelopes';
import { at, emptyEnvelope, rows } from '../spec-helpers';

describe('podStartupSpec', () => {
  it('plots P50/P90/P99 of every configuration in sweep order', () => {
    const spec = podStartupSpec(copySweepEnvelope());
    const data = rows(spec).filter((r) => r.source === 'simulated');
    expect(data).toHaveLength(15);
    expect(data.find((r) => r.point === 'Baseline' && r.quantile === 'P99')?.value).toBe(842);
    expect(data.find((r) => r.point === 'Mid' && r.quantile === 'P50')?.display).toBe('9m 22s');
    expect(at(spec, 'encoding.x.sort')).toEqual([...SWEEP_LABELS]);
    expect(at(spec, 'encoding.x.field')).toBe('point');
    expect(at(spec, 'encoding.y.field')).toBe('value');
    expect(at(spec, 'encoding.color.scale.domain')).toEqual(['P50', 'P90', 'P99']);
  });

  it('overlays every published value, told apart by the source legend', () => {
    const spec = podStartupSpec(copySweepEnvelope());
    const published = rows(spec).filter((r) => r.source === 'published');
    expect(published).toHaveLength(15);
    for (const label of SWEEP_LABELS) {
      const ref = PUBLISHED_STARTUP[label];
      expect(published.find((r) => r.point === label && r.quantile === 'P99')?.value).toBe(ref?.p99);
      expect(published.find((r) => r.point === label && r.quantile === 'P50')?.value).toBe(ref?.p50);
    }
    // The published max is NaN in the fixture: it must be dropped, not plotted.
    expect(published.some((r) => r.quantile === 'max')).toBe(false);
    expect(at(spec, 'layer.0.encoding.strokeDash.scale.domain')).toEqual(['simulated', 'published']);
    expect(at(spec, 'layer.1.encoding.shape.scale.domain')).toEqual(['simulated', 'published']);
  });

  it('hides the source legend when there is nothing published', () => {
    const e = copySweepEnvelope();
    delete e.reference;
    const spec = podStartupSpec(e);
    expect(rows(spec).every((r) => r.source === 'simulated')).toBe(true);
    expect(at(spec, 'layer.0.encoding.strokeDash.legend')).toBeNull();
  });

  it('is null without pod-startup data, even when a reference exists', () => {
    expect(podStartupSpec(emptyEnvelope())).toBeNull();
    const e = copySweepEnvelope();
    for (const p of e.points) delete p.metrics.podStartupS;
    expect(podStartupSpec(e)).toBeNull();
  });
});
