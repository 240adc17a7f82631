/**
 * Any raw record with a time and a number becomes a time series: sim records carrying `t`
 * (seconds since start) and per-record values. k6's points are left to the load charts. Nothing is assumed about which
 * metrics exist; series are binned so a 100k-record run still makes a small page.
 */
import { entry, isNum } from '../points';
import type { RawRecord, VegaLiteSpec } from '../types';
import { SCHEMA } from './common';

export interface Sample {
  series: string;
  t: number;
  value: number;
}

export interface TimeSeriesRow {
  series: string;
  t: number;
  mean: number;
  max: number;
  n: number;
  /** 1 for a series that is 0 throughout (see timeSeriesSpec), else 0. */
  axisTop: number;
}

/** Keys that are identities or timestamps, not measurements. */
const NOT_A_VALUE = /^(t|time|ts|id|node|vu|iter|iteration|seq|index|seed|attempt|point|label)$/i;
export const MAX_SERIES = 8;
export const MAX_BINS = 240;

export function samplesOf(raw: readonly RawRecord[]): Sample[] {
  const out: Sample[] = [];
  for (const r of raw) {
    // k6's points have charts of their own (load, anatomy, errors): binned from the raw
    // samples there, not as means here.
    if (r.type === 'Point') continue;
    if (!isNum(r.t)) continue;
    const prefix = typeof r.point === 'string' ? `${r.point} · ` : '';
    if (typeof r.metric === 'string' && isNum(r.value)) {
      out.push({ series: `${prefix}${r.metric}`, t: r.t, value: r.value });
      continue;
    }
    for (const [k, v] of Object.entries(r)) {
      if (isNum(v) && !NOT_A_VALUE.test(k)) out.push({ series: `${prefix}${k}`, t: r.t, value: v });
    }
  }
  return out;
}

/** Mean and max per time bin, the busiest MAX_SERIES series only. */
export function timeSeriesRows(raw: readonly RawRecord[]): TimeSeriesRow[] {
  const bySeries = new Map<string, Sample[]>();
  for (const s of samplesOf(raw)) {
    entry(bySeries, s.series, () => []).push(s);
  }
  const kept = [...bySeries].sort((a, b) => b[1].length - a[1].length).slice(0, MAX_SERIES);
  const rows: TimeSeriesRow[] = [];
  for (const [series, samples] of kept) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const s of samples) {
      lo = Math.min(lo, s.t);
      hi = Math.max(hi, s.t);
    }
    const bins = Math.min(MAX_BINS, samples.length);
    const width = hi > lo ? (hi - lo) / bins : 1;
    const acc = new Map<number, { sum: number; max: number; n: number }>();
    for (const s of samples) {
      const b = Math.min(bins - 1, Math.floor((s.t - lo) / width));
      const a = acc.get(b) ?? { sum: 0, max: Number.NEGATIVE_INFINITY, n: 0 };
      a.sum += s.value;
      a.max = Math.max(a.max, s.value);
      a.n += 1;
      acc.set(b, a);
    }
    const axisTop = samples.every((s) => s.value === 0) ? 1 : 0;
    for (const [b, a] of [...acc].sort((x, y) => x[0] - y[0])) {
      rows.push({ series, t: lo + (b + 0.5) * width, mean: a.sum / a.n, max: a.max, n: a.n, axisTop });
    }
  }
  return rows;
}

export function timeSeriesSpec(raw: readonly RawRecord[] = []): VegaLiteSpec | null {
  const rows = timeSeriesRows(raw);
  if (rows.length === 0) return null;
  const series = [...new Set(rows.map((r) => r.series))];
  return {
    $schema: SCHEMA,
    data: { values: rows },
    facet: {
      row: {
        field: 'series',
        type: 'nominal',
        sort: series,
        title: null,
        header: { labelAngle: 0, labelAlign: 'left' },
      },
    },
    // Each series has its own unit (ms, bytes, counts): never share a y axis between them.
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 560,
      height: 90,
      layer: [
        {
          mark: { type: 'area', opacity: 0.2, interpolate: 'monotone' },
          encoding: {
            x: { field: 't', type: 'quantitative', title: 'seconds since start' },
            y: { field: 'max', type: 'quantitative', title: null },
            y2: { datum: 0 },
          },
        },
        {
          mark: { type: 'line', interpolate: 'monotone' },
          encoding: {
            x: { field: 't', type: 'quantitative' },
            y: { field: 'mean', type: 'quantitative' },
            tooltip: [
              { field: 'series' },
              { field: 't', title: 'seconds', format: '.1f' },
              { field: 'mean', format: '.4~g' },
              { field: 'max', format: '.4~g' },
              { field: 'n', title: 'records' },
            ],
          },
        },
        // A series that is 0 throughout (TLS handshakes over plain HTTP, failures of a clean
        // run) would get a [0, 0] domain, whose ticks print as 0.000000: an invisible mark at
        // axisTop gives its axis a unit of room, and leaves every other series' axis alone.
        {
          mark: { type: 'rule', opacity: 0 },
          encoding: { y: { field: 'axisTop', type: 'quantitative' } },
        },
      ],
    },
  };
}
