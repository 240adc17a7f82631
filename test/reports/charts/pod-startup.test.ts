/**
 * Pod-startup quantiles per configuration, drawn by the sim-vs-measured overlay: the
 * simulated sweep against the published figures, each simulated point's error in its row.
 */
import { describe, expect, it } from 'vitest';
import { podStartupSpec } from '../../../reports/charts/pod-startup';
import { copySweepEnvelope, PUBLISHED_STARTUP, SWEEP_LABELS } from '../../fixtures/reports/envelopes';
import { at, drawInNode, emptyEnvelope, type Row, rows } from '../spec-helpers';

const series = (spec: unknown): Row[] => rows(spec).filter((r) => r.row === 'series');

describe('podStartupSpec', () => {
  it('plots P50/P90/P99 of every configuration in sweep order, colour by quantile', () => {
    const spec = podStartupSpec(copySweepEnvelope());
    const data = series(spec).filter((r) => r.source === 'simulated');
    expect(data).toHaveLength(15);
    expect(data.find((r) => r.x === 'Baseline' && r.group === 'P99')?.y).toBe(842);
    expect(data.find((r) => r.x === 'Mid' && r.group === 'P50')?.value).toBe('9m 22s');
    // The nominal x keeps the order the rows come in: the sweep's.
    expect([...new Set(data.map((r) => r.x))]).toEqual([...SWEEP_LABELS]);
    expect(at(spec, 'layer.0.encoding.x.sort')).toBeNull();
    expect(at(spec, 'layer.0.encoding.x.field')).toBe('x');
    expect(at(spec, 'layer.0.encoding.y.title')).toBe('seconds');
    expect(at(spec, 'layer.0.encoding.y.scale.zero')).toBe(false);
    expect(at(spec, 'layer.0.encoding.color.field')).toBe('group');
    expect(at(spec, 'layer.0.encoding.color.scale.domain')).toEqual(['P50', 'P90', 'P99']);
  });

  it('overlays every published value, dashed, with each simulated error against it', async () => {
    const spec = podStartupSpec(copySweepEnvelope());
    const published = series(spec).filter((r) => r.source === 'published');
    expect(published).toHaveLength(15);
    for (const label of SWEEP_LABELS) {
      const ref = PUBLISHED_STARTUP[label];
      expect(published.find((r) => r.x === label && r.group === 'P99')?.y).toBe(ref?.p99);
      expect(published.find((r) => r.x === label && r.group === 'P50')?.y).toBe(ref?.p50);
      const sim = series(spec).find((r) => r.x === label && r.group === 'P99' && r.source === 'simulated');
      expect(sim?.measured).toBe(ref?.p99);
      expect(sim?.error).toBeCloseTo((sim?.y as number) / (ref?.p99 as number) - 1, 12);
    }
    // The published max is NaN in the fixture: it must be dropped, not plotted.
    expect(published.some((r) => r.group === 'max')).toBe(false);
    expect(at(spec, 'layer.0.encoding.strokeDash.scale.domain')).toEqual(['simulated', 'published']);
    const d = await drawInNode(spec);
    expect(d.warnings).toEqual([]);
    expect(d.marks).toBeGreaterThan(0);
    expect(d.width).toBeLessThan(1240);
  });

  it('hides the source legend when there is nothing published', async () => {
    const e = copySweepEnvelope();
    delete e.reference;
    const spec = podStartupSpec(e);
    expect(series(spec).every((r) => r.source === 'simulated' && r.error === null)).toBe(true);
    expect(at(spec, 'layer.0.encoding.strokeDash.legend')).toBeNull();
    expect((await drawInNode(spec)).warnings).toEqual([]);
  });

  it('is null without pod-startup data, even when a reference exists', () => {
    expect(podStartupSpec(emptyEnvelope())).toBeNull();
    const e = copySweepEnvelope();
    for (const p of e.points) delete p.metrics.podStartupS;
    expect(podStartupSpec(e)).toBeNull();
  });
});
