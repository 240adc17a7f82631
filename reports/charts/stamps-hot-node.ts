/**
 * Per pool, the hottest node's CPU in each 1-minute bin of a peak window, with the pool
 * average under it, the hot-node P95 as a rule and the single-sample Max marked: the
 * three signals of the compute-stamp post on one picture, before and after the move.
 * Reads the `stampBin` raw records `stampede sim stamps` writes.
 */
import { isNum } from '../points';
import type { RawRecord, VegaLiteSpec } from '../types';
import { ABOVE, INK, PALETTE, SCHEMA } from './common';

interface Bin {
  pool: string;
  window: string;
  minute: number;
  series: string;
  cpu: number;
}

export function stampBins(raw: readonly RawRecord[]): Bin[] {
  const out: Bin[] = [];
  for (const r of raw) {
    if (r.kind !== 'stampBin' || typeof r.stamp !== 'string' || typeof r.pool !== 'string') continue;
    if (typeof r.window !== 'string' || !isNum(r.minute) || !isNum(r.hot) || !isNum(r.avg)) continue;
    const pool = `${r.stamp} ${r.pool}`;
    out.push({ pool, window: r.window, minute: r.minute, series: 'hottest node', cpu: r.hot });
    out.push({ pool, window: r.window, minute: r.minute, series: 'pool average', cpu: r.avg });
  }
  return out;
}

export function stampsHotNodeSpec(
  raw: readonly RawRecord[],
  signals: ReadonlyArray<{
    stamp: string;
    pool: string;
    before: Record<string, number>;
    after: Record<string, number>;
  }>,
): VegaLiteSpec | null {
  const bins = stampBins(raw);
  if (bins.length === 0) return null;
  const marks: Array<{ pool: string; window: string; hotNodeP95: number; max: number }> = [];
  for (const s of signals)
    for (const window of ['before', 'after'] as const) {
      const v = s[window];
      if (isNum(v?.hotNodeP95) && isNum(v?.max))
        marks.push({ pool: `${s.stamp} ${s.pool}`, window, hotNodeP95: v.hotNodeP95, max: v.max });
    }
  const pools = [...new Set(bins.map((b) => b.pool))];
  // The Max sample: the first bin of each pool and window where the hottest node reached it.
  const maxBins = marks.flatMap((m) => {
    const hit = bins.find(
      (b) =>
        b.pool === m.pool &&
        b.window === m.window &&
        b.series === 'hottest node' &&
        Math.abs(b.cpu - m.max) < 0.01,
    );
    return hit ? [{ pool: m.pool, window: m.window, minute: hit.minute, cpu: hit.cpu }] : [];
  });
  // One data set, one panel per pool and window picked out by filters: a facet of layers
  // with filter transforms drew each pool one row below its label (checked in Chromium).
  const values = [
    ...bins.map((b) => ({ kind: 'bin', ...b })),
    ...marks.map((m) => ({ kind: 'p95', ...m })),
    ...maxBins.map((m) => ({ kind: 'max', ...m })),
  ];
  const only = (kind: string) => ({ filter: { field: 'kind', equal: kind } });
  const panel = (pool: string, window: string) => ({
    title: { text: `${pool}, ${window}`, fontSize: 11 },
    width: 320,
    height: 110,
    transform: [
      {
        filter: {
          and: [
            { field: 'pool', equal: pool },
            { field: 'window', equal: window },
          ],
        },
      },
    ],
    layer: [
      {
        transform: [only('bin')],
        mark: { type: 'line', strokeWidth: 1 },
        encoding: {
          x: {
            field: 'minute',
            type: 'quantitative',
            title: 'minute of the peak window',
            scale: { domain: [0, Math.max(...bins.map((b) => b.minute))] },
          },
          y: { field: 'cpu', type: 'quantitative', title: 'CPU %', scale: { domain: [0, 100] } },
          color: {
            field: 'series',
            type: 'nominal',
            scale: { domain: ['hottest node', 'pool average'], range: [PALETTE[1], PALETTE[0]] },
            title: null,
          },
        },
      },
      {
        transform: [only('p95')],
        mark: { type: 'rule', color: INK, strokeDash: [4, 3] },
        encoding: {
          y: { field: 'hotNodeP95', type: 'quantitative' },
          tooltip: [{ field: 'hotNodeP95', title: 'hot-node P95 %' }],
        },
      },
      {
        transform: [only('max')],
        mark: { type: 'point', shape: 'triangle-up', filled: true, color: ABOVE, size: 60 },
        encoding: {
          x: { field: 'minute', type: 'quantitative' },
          y: { field: 'cpu', type: 'quantitative' },
          tooltip: [{ field: 'cpu', title: 'Max (single 1-minute sample) %' }],
        },
      },
    ],
  });
  const windows = (pool: string) =>
    ['before', 'after'].filter((w) => bins.some((b) => b.pool === pool && b.window === w));
  return {
    $schema: SCHEMA,
    data: { values },
    vconcat: pools.map((pool) => ({ hconcat: windows(pool).map((w) => panel(pool, w)) })),
  } as VegaLiteSpec;
}
