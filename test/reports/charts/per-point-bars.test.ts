import { describe, expect, it } from 'vitest';
import { hotBackendSpec } from '../../../reports/charts/hot-backend';
import { throttlingSpec } from '../../../reports/charts/throttling';
import { copySweepEnvelope, k6Envelope, THROTTLES } from '../../fixtures/reports/envelopes';
import { at, emptyEnvelope, rows } from '../spec-helpers';

describe('throttlingSpec', () => {
  it('has one bar per configuration, throttled ones highlighted', () => {
    const spec = throttlingSpec(copySweepEnvelope());
    const bars = rows(spec, 'layer.0.data.values');
    expect(bars.map((r) => [r.point, r.value])).toEqual(Object.entries(THROTTLES));
    expect(bars.find((r) => r.point === 'Baseline')?.status).toBe('throttled');
    expect(bars.find((r) => r.point === 'Mid')?.status).toBe('no throttling');
    expect(at(spec, 'layer.0.encoding.y.field')).toBe('value');
    expect(at(spec, 'layer.0.encoding.color.scale.domain')).toEqual(['throttled', 'no throttling']);
    // Value labels so a zero bar reads as "0", not as missing.
    expect(at(spec, 'layer.1.mark.type')).toBe('text');
  });

  it('treats a k6 run without points as one configuration', () => {
    const bars = rows(throttlingSpec(k6Envelope()), 'layer.0.data.values');
    expect(bars).toEqual([{ point: 'cold-pull', value: 5, status: 'throttled' }]);
  });

  it('adds published ticks in the same colour legend when the reference has counts', () => {
    const e = copySweepEnvelope();
    const base = e.reference?.points[0];
    if (base) base.metrics.throttleEvents = 5000;
    const spec = throttlingSpec(e);
    expect(rows(spec, 'layer.2.data.values')).toEqual([{ point: 'Baseline', value: 5000 }]);
    expect(at(spec, 'layer.2.encoding.color.datum')).toBe('published');
    expect(at(spec, 'layer.0.encoding.color.scale.domain')).toContain('published');
  });

  it('is null when no configuration reports throttling', () => {
    expect(throttlingSpec(emptyEnvelope())).toBeNull();
  });
});

describe('hotBackendSpec', () => {
  it('plots the ratio with a ceiling rule at 1', () => {
    const spec = hotBackendSpec(copySweepEnvelope());
    const bars = rows(spec, 'layer.0.data.values');
    expect(bars).toHaveLength(5);
    expect(bars.filter((r) => r.status === 'above ceiling').map((r) => r.point)).toEqual(['Baseline', 'Low']);
    const rule = (at(spec, 'layer') as unknown[]).find((l) => at(l, 'mark.type') === 'rule');
    expect(rows(rule)).toEqual([{ threshold: 1, label: 'ceiling' }]);
  });

  it('is null without hotBackendRatio', () => {
    expect(hotBackendSpec(k6Envelope())).toBeNull();
  });
});
