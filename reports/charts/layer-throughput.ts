/**
 * Throughput per layer size (k6 runs): each blob's size over the time its bytes took, as
 * P10 / P50 / P90 per distinct size. Small blobs are dominated by the request's fixed cost
 * (the 307 hop, connection set-up); a big blob's throughput is what the storage backend
 * and the path give, so a flat right-hand side is the bandwidth ceiling.
 */
import { formatBytes, rateUnit, round3 } from '../format';
import type { K6Aggregate } from '../k6-aggregate';
import type { VegaLiteSpec } from '../types';
import { PALETTE, SCHEMA } from './common';

export function layerThroughputSpec(agg: K6Aggregate | undefined): VegaLiteSpec | null {
  if (!agg || agg.layers.length === 0) return null;
  const unit = rateUnit(Math.max(...agg.layers.map((l) => l.p90)));
  const rows = agg.layers.map((l) => ({
    size: formatBytes(l.sizeBytes),
    sizeBytes: l.sizeBytes,
    blobs: l.blobs,
    p10: round3(l.p10 / unit.divisor),
    p50: round3(l.p50 / unit.divisor),
    p90: round3(l.p90 / unit.divisor),
  }));
  const x = {
    field: 'size',
    type: 'ordinal',
    sort: rows.map((r) => r.size),
    title: 'blob size',
    axis: { labelAngle: 0 },
  } as const;
  const tooltip = [
    { field: 'size' },
    { field: 'blobs' },
    { field: 'p10', title: `P10 (${unit.unit})` },
    { field: 'p50', title: `P50 (${unit.unit})` },
    { field: 'p90', title: `P90 (${unit.unit})` },
  ];
  return {
    $schema: SCHEMA,
    width: Math.min(860, Math.max(240, rows.length * 70)),
    height: 200,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'rule', color: PALETTE[0], strokeWidth: 2 },
        encoding: { x, y: { field: 'p10', type: 'quantitative' }, y2: { field: 'p90' }, tooltip },
      },
      {
        mark: { type: 'point', filled: true, size: 80, color: PALETTE[0] },
        encoding: {
          x,
          y: {
            field: 'p50',
            type: 'quantitative',
            title: `throughput per blob (${unit.unit}): P50, bar P10 to P90`,
          },
          tooltip,
        },
      },
    ],
  } as VegaLiteSpec;
}
