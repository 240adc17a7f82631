/**
 * Which layers were refused, per configuration: a heat map of 503s by layer (manifest
 * order, counted from 0). Where the 503s land decides what they cost: a refused early big
 * layer holds up the sequential unpack, a refused late one is usually fetched again long
 * before unpack needs it.
 */
import type { Envelope } from '../../lib/results/envelope';
import { isNum, labelsOf, pointsOf } from '../points';
import type { VegaLiteSpec } from '../types';
import { INK, SCHEMA } from './common';

const NONE = '#eeeeee';

function byLayer(v: unknown): number[] | null {
  return Array.isArray(v) && v.length > 0 && v.every(isNum) ? v : null;
}

export function throttlesByLayerSpec(envelope: Envelope): VegaLiteSpec | null {
  const counted = pointsOf(envelope).flatMap((p) => {
    const counts = byLayer(p.metrics.throttlesByLayer);
    return counts ? [{ point: p, counts }] : [];
  });
  const points = counted.map((c) => c.point);
  const rows = counted.flatMap(({ point, counts }) =>
    counts.map((n, layer) => ({ point: point.label, layer, throttles: n })),
  );
  const max = Math.max(0, ...rows.map((r) => r.throttles));
  if (max === 0) return null;
  const x = {
    field: 'layer',
    type: 'ordinal',
    title: 'layer (manifest order, from 0)',
    axis: { labelAngle: 0 },
  } as const;
  const y = { field: 'point', type: 'nominal', sort: labelsOf(points), title: null } as const;
  return {
    $schema: SCHEMA,
    width: 'container',
    // 28 px per configuration, as a number: a step height ({step: 28}) next to a container
    // width makes vega-lite warn "Dropping fit-y" on the console of every report.
    height: 28 * points.length,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'rect' },
        encoding: {
          x,
          y,
          color: {
            // An unrefused cell is plain grey, so "not refused" never reads as "refused a little".
            condition: { test: 'datum.throttles === 0', value: NONE },
            field: 'throttles',
            type: 'quantitative',
            title: '503s',
            scale: { scheme: 'reds', domainMin: 0 },
          },
          tooltip: [
            { field: 'point', title: 'configuration' },
            { field: 'layer', title: 'layer' },
            { field: 'throttles', title: '503s', format: ',d' },
          ],
        },
      },
      {
        transform: [{ filter: 'datum.throttles > 0' }],
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          x,
          y,
          text: { field: 'throttles', type: 'quantitative', format: ',d' },
          // White on the darker half of the scale, ink on the lighter.
          color: { condition: { test: `datum.throttles > ${max / 2}`, value: 'white' }, value: INK },
        },
      },
    ],
  };
}
