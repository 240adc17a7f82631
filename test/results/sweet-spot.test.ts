import { describe, expect, it } from 'vitest';
import type { Point } from '../../lib/results/envelope';
import { describeSweetSpot, sweetSpot } from '../../lib/results/sweet-spot';

function point(label: string, copies: number, p99: number, throttles: number): Point {
  return {
    label,
    params: { 'storage.copies': copies },
    metrics: { podStartupS: { p50: p99 * 0.7, p90: p99 * 0.8, p99, max: p99 }, throttleEvents: throttles },
  };
}

/** The post's P99 column, with throttling at the first two configurations only. */
const published = [
  point('Baseline', 2, 856, 900),
  point('Low', 6, 779, 40),
  point('Mid', 12, 622, 0),
  point('Higher', 24, 622, 0),
  point('Very high', 96, 828, 0),
];

describe('sweetSpot', () => {
  it("finds the post's sweet spot and the cost of going past it", () => {
    const s = sweetSpot(published);
    expect(s).toMatchObject({ label: 'Mid', copies: 12, p99S: 622, bestP99S: 622, tolerance: 0.02 });
    expect(s?.pastRegression).toBeCloseTo(828 / 622 - 1, 12);
  });

  it('passes over a configuration that still throttles, however good its P99', () => {
    const pts = published.map((p) => (p.label === 'Low' ? point('Low', 6, 600, 3) : p));
    expect(sweetSpot(pts)).toMatchObject({ label: 'Mid', bestP99S: 622 });
  });

  it('takes the fewest copies within the tolerance of the best P99, not the best itself', () => {
    const near = published.map((p) => (p.label === 'Higher' ? point('Higher', 24, 622 / 1.015, 0) : p));
    expect(sweetSpot(near)?.label).toBe('Mid');
    const far = published.map((p) => (p.label === 'Higher' ? point('Higher', 24, 622 / 1.03, 0) : p));
    expect(sweetSpot(far)?.label).toBe('Higher');
    expect(sweetSpot(far, 0.05)?.label).toBe('Mid');
  });

  it('runs the same rule over all configurations when every one throttles, ordered by copies', () => {
    const all = [point('b', 48, 700, 1), point('a', 8, 900, 10), point('c', 96, 720, 2)];
    expect(sweetSpot(all)).toMatchObject({ label: 'b', copies: 48, bestP99S: 700 });
    expect(sweetSpot(all)?.pastRegression).toBeCloseTo(720 / 700 - 1, 12);
  });

  it('has nothing to say without points that carry copies and a P99', () => {
    expect(sweetSpot([])).toBeUndefined();
    expect(sweetSpot([{ label: 'x', params: {}, metrics: {} }])).toBeUndefined();
  });

  it('reads as one sentence', () => {
    const s = sweetSpot(published);
    if (!s) throw new Error('no sweet spot');
    expect(describeSweetSpot(s, (v) => `${v}s`)).toBe(
      'Mid (12 copies per layer): the fewest copies with no throttling and a P99 within 2% of the best (622s); more copies cost up to +33.1% at P99',
    );
    expect(describeSweetSpot({ ...s, pastRegression: 0 }, (v) => `${v}s`)).toMatch(
      /more copies change nothing$/,
    );
  });

  it('claims only what was measured: no "no throttling" when all throttle, no "more copies" past the last', () => {
    const all = sweetSpot([point('a', 1, 900, 10), point('b', 4, 700, 222)]);
    if (!all) throw new Error('no sweet spot');
    const text = describeSweetSpot(all, (v) => `${v}s`);
    expect(text).toMatch(
      /^b \(4 copies per layer\): every configuration throttles, so this is no sweet spot, only the fewest copies with a P99 within 2% of the best \(700s\)/,
    );
    expect(text).not.toMatch(/no throttling|change nothing/);
    expect(text).toMatch(/no configuration with more copies was run, so whether more would help is unknown$/);
    // Throttle-free, but the spot is the largest configuration run: still no "change nothing".
    const last = sweetSpot([point('a', 1, 900, 10), point('b', 4, 700, 0)]);
    if (!last) throw new Error('no sweet spot');
    expect(describeSweetSpot(last, (v) => `${v}s`)).toBe(
      'b (4 copies per layer): the fewest copies with no throttling and a P99 within 2% of the best (700s); no configuration with more copies was run, so whether more would help is unknown',
    );
  });
});
