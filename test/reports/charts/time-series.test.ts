import { describe, expect, it } from 'vitest';
import {
  MAX_BINS,
  MAX_SERIES,
  samplesOf,
  timeSeriesRows,
  timeSeriesSpec,
} from '../../../reports/charts/time-series';
import { k6Raw } from '../../fixtures/reports/envelopes';
import { at, rows } from '../spec-helpers';

describe('samplesOf', () => {
  it('leaves k6 JSON points to the load charts (binned from raw samples there, not as means)', () => {
    const s = samplesOf([
      { type: 'Point', metric: 'http_req_duration', data: { time: '2026-01-01T00:00:02Z', value: 20 } },
      { type: 'Metric', metric: 'http_req_duration', data: { type: 'trend' } },
      { t: 1, pullS: 3 },
    ]);
    expect(s).toEqual([{ series: 'pullS', t: 1, value: 3 }]);
  });

  it('reads every numeric field of records with t, skipping ids, and metric/value pairs', () => {
    const s = samplesOf([
      { t: 1, node: 4, vu: 2, podStartupS: 30, point: 'Mid', note: 'x' },
      { t: 2, metric: 'queue', value: 7 },
      { podStartupS: 99 },
    ]);
    expect(s).toEqual([
      { series: 'Mid · podStartupS', t: 1, value: 30 },
      { series: 'queue', t: 2, value: 7 },
    ]);
  });
});

describe('timeSeriesSpec', () => {
  it('bins each series (mean and max) on its own y scale', () => {
    const spec = timeSeriesSpec(k6Raw());
    const data = rows(spec);
    expect(new Set(data.map((r) => r.series))).toEqual(new Set(['pullS']));
    expect(at(spec, 'resolve.scale.y')).toBe('independent');
    const pulls = data.filter((r) => r.series === 'pullS');
    expect(pulls.reduce((n, r) => n + (r.n as number), 0)).toBe(100);
    expect(pulls.every((r) => (r.max as number) >= (r.mean as number))).toBe(true);
  });

  it('bounds the page: at most MAX_SERIES series of MAX_BINS bins', () => {
    const raw = Array.from({ length: 5000 }, (_, i) => {
      const r: Record<string, unknown> = { t: i };
      for (let k = 0; k < 12; k++) r[`m${k}`] = i % (k + 2);
      return r;
    });
    const data = timeSeriesRows(raw);
    const series = new Set(data.map((r) => r.series));
    expect(series.size).toBe(MAX_SERIES);
    for (const s of series) expect(data.filter((r) => r.series === s).length).toBeLessThanOrEqual(MAX_BINS);
  });

  it('marks the series that are 0 throughout, for their axis (a [0, 0] domain ticks as 0.000000)', () => {
    const data = timeSeriesRows([
      { t: 0, failed: 0, bytes: 0 },
      { t: 1, failed: 0, bytes: 5 },
    ]);
    expect(new Set(data.filter((r) => r.series === 'failed').map((r) => r.axisTop))).toEqual(new Set([1]));
    expect(new Set(data.filter((r) => r.series === 'bytes').map((r) => r.axisTop))).toEqual(new Set([0]));
  });

  it('is null when no record has a time', () => {
    expect(timeSeriesSpec([{ podStartupS: 3 }])).toBeNull();
    expect(timeSeriesSpec([])).toBeNull();
  });
});
