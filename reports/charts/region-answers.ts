/**
 * Which region served each blob over time (k6 lab runs): the storage host the 307 sent the
 * client to names its region, so the share per region per bin shows the DNS answer the
 * client was following. A failover or a DNS bounce shows as the colours swapping.
 */
import type { K6Aggregate } from '../k6-aggregate';
import type { VegaLiteSpec } from '../types';
import { SCHEMA } from './common';
import { markerLayers } from './markers';
import { binAxis, withBinEnd } from './time-bins';

export function regionAnswersSpec(agg: K6Aggregate | undefined): VegaLiteSpec | null {
  if (!agg || agg.regions.length === 0) return null;
  const rows = withBinEnd(agg.regions, agg.binS);
  const regions = [...new Set(rows.map((r) => r.region))].sort();
  return {
    $schema: SCHEMA,
    width: 860,
    height: 120,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'bar' },
        encoding: {
          x: binAxis(agg),
          x2: { field: 't2' },
          y: {
            field: 'requests',
            type: 'quantitative',
            stack: 'zero',
            title: 'blob requests',
            axis: { tickMinStep: 1 },
          },
          color: { field: 'region', type: 'nominal', sort: regions, title: 'region served' },
          tooltip: [{ field: 'region' }, { field: 't', title: 'bin start (s)' }, { field: 'requests' }],
        },
      },
      ...markerLayers(agg.markers),
    ],
  } as VegaLiteSpec;
}
