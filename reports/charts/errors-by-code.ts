/** Failed requests by error code (OCI codes, HTTP statuses), per configuration. */
import type { Envelope } from '../../lib/results/envelope';
import { isNum, labelsOf, pointsOf } from '../points';
import type { VegaLiteSpec } from '../types';
import { SCHEMA } from './common';

export function errorRows(envelope: Envelope): Array<{ point: string; code: string; count: number }> {
  return pointsOf(envelope).flatMap((p) => {
    const byCode = (p.metrics.errors as { byCode?: unknown } | undefined)?.byCode;
    if (typeof byCode !== 'object' || byCode === null) return [];
    return Object.entries(byCode).flatMap(([code, count]) =>
      isNum(count) ? [{ point: p.label, code, count }] : [],
    );
  });
}

export function errorsByCodeSpec(envelope: Envelope): VegaLiteSpec | null {
  const rows = errorRows(envelope);
  if (rows.length === 0) return null;
  const labels = labelsOf(pointsOf(envelope)).filter((l) => rows.some((r) => r.point === l));
  const codes = new Set(rows.map((r) => r.code));
  return {
    $schema: SCHEMA,
    width: Math.max(280, codes.size * labels.length * 22),
    height: 220,
    data: { values: rows },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'code', type: 'nominal', sort: '-y', title: 'error code', axis: { labelAngle: -30 } },
      xOffset: { field: 'point', type: 'nominal', sort: labels },
      y: { field: 'count', type: 'quantitative', title: 'requests' },
      color: { field: 'point', type: 'nominal', sort: labels, title: 'configuration' },
      tooltip: [{ field: 'point', title: 'configuration' }, { field: 'code' }, { field: 'count' }],
    },
  };
}
