/**
 * Upstream requests per strategy of a cache-stampede run, by kind (manifest GETs, blob GETs,
 * HEADs for tag freshness) with the 429s beside them: how much of one deployment reached the
 * upstream, and how much of it the upstream refused. Points are strategies.
 */
import { isNum, labelsOf } from '../points';
import type { ChartEntry, ReportRun, VegaLiteSpec } from '../types';
import { PALETTE, SCHEMA } from './common';

export interface UpstreamRow {
  strategy: string;
  series: string;
  value: number;
}

const SERIES = ['manifest GETs', 'blob GETs', 'HEADs', '429s'] as const;

export function upstreamRows(run: ReportRun): UpstreamRow[] {
  return run.envelope.points.flatMap((pt) => {
    const up = pt.metrics.upstream as
      | { requests?: { manifest?: unknown; blob?: unknown; head?: unknown }; throttled?: unknown }
      | undefined;
    const r = up?.requests;
    if (!r || !isNum(r.manifest) || !isNum(r.blob) || !isNum(r.head) || !isNum(up.throttled)) return [];
    const values = [r.manifest, r.blob, r.head, up.throttled];
    return SERIES.map((series, i) => ({ strategy: pt.label, series, value: values[i] as number }));
  });
}

export function upstreamSpec(run: ReportRun): VegaLiteSpec | null {
  const values = upstreamRows(run);
  if (values.length === 0) return null;
  return {
    $schema: SCHEMA,
    width: 480,
    height: 240,
    data: { values },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: {
        field: 'strategy',
        type: 'nominal',
        sort: labelsOf(run.envelope.points),
        title: 'strategy',
        axis: { labelAngle: 0 },
      },
      xOffset: { field: 'series', type: 'nominal', sort: [...SERIES] },
      y: { field: 'value', type: 'quantitative', title: 'upstream requests', axis: { tickMinStep: 1 } },
      color: {
        field: 'series',
        type: 'nominal',
        sort: [...SERIES],
        scale: { domain: [...SERIES], range: [PALETTE[0], PALETTE[3], PALETTE[5], PALETTE[2]] },
        title: null,
      },
      tooltip: [
        { field: 'strategy', title: 'strategy' },
        { field: 'series', title: 'what' },
        { field: 'value', title: 'count', format: ',d' },
      ],
    },
  } as VegaLiteSpec;
}

export const cacheStampedeUpstreamChart: ChartEntry<ReportRun> = {
  id: 'cache-stampede-upstream',
  title: 'Upstream requests per strategy',
  help: 'cache-stampede: requests that reached the upstream (manifest GETs, blob GETs, HEADs) and its 429s, per strategy',
  caption: () =>
    'What one deployment sent to the upstream, per strategy: manifest and blob GETs (fetches, from serving nodes and from hydration), HEADs (tag freshness checks of hydrated pulls) and the 429s the upstream answered. With coalescing a digest is fetched once per front (or once); without, once per node that missed it.',
  build: (run) => upstreamSpec(run),
};
