/**
 * Which region answered each request over time (k6 lab runs): the front address k6
 * connected to (its `ip` tag, mapped to the lab's regions) is the DNS answer for the global
 * name. A run that recorded no front addresses falls back to the storage host each blob's
 * 307 pointed to. A failover or a DNS bounce shows as the colours swapping.
 */
import type { K6Aggregate } from '../k6-aggregate';
import type { VegaLiteSpec } from '../types';
import { SCHEMA } from './common';
import { markerLayers } from './markers';
import { binAxis, withBinEnd } from './time-bins';

export function regionAnswersSpec(agg: K6Aggregate | undefined): VegaLiteSpec | null {
  if (!agg) return null;
  const byAnswer = agg.answers.length > 0;
  const rows = withBinEnd(byAnswer ? agg.answers : agg.regions, agg.binS);
  if (rows.length === 0) return null;
  const regions = [...new Set(rows.map((r) => r.region))].sort();
  return {
    $schema: SCHEMA,
    width: 860,
    height: 120,
    layer: [
      {
        data: { values: rows },
        // Stacked here: with x and x2 set, vega-lite would draw y as a 5 px tick at its raw value.
        transform: [
          { stack: 'requests', groupby: ['t'], sort: [{ field: 'region' }], as: ['stack0', 'stack1'] },
        ],
        mark: { type: 'bar' },
        encoding: {
          x: binAxis(agg),
          x2: { field: 't2' },
          y: {
            field: 'stack0',
            type: 'quantitative',
            title: byAnswer ? 'requests' : 'blob requests',
            axis: { tickMinStep: 1 },
          },
          y2: { field: 'stack1' },
          color: {
            field: 'region',
            type: 'nominal',
            sort: regions,
            title: byAnswer ? 'region answered' : 'region served',
          },
          tooltip: [{ field: 'region' }, { field: 't', title: 'bin start (s)' }, { field: 'requests' }],
        },
      },
      ...markerLayers(agg.markers),
    ],
  } as VegaLiteSpec;
}
