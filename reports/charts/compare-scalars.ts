/**
 * Several runs side by side for the one-number metrics (throttling, errors, hot-backend
 * ratio, median node egress): one row per metric with its own y scale, grouped bars per run.
 */
import type { Metrics } from '../../lib/results/envelope';
import { isNum, pointsOf, quantileRecord } from '../points';
import type { ReportRun, VegaLiteSpec } from '../types';
import { SCHEMA } from './common';
import { unionLabels } from './compare-quantiles';

export const SCALAR_METRICS: ReadonlyArray<{ name: string; read: (m: Metrics) => number | undefined }> = [
  { name: 'throttle events', read: (m) => (isNum(m.throttleEvents) ? m.throttleEvents : undefined) },
  { name: 'errors', read: (m) => (isNum(m.errors?.total) ? m.errors.total : undefined) },
  { name: 'hot backend / ceiling', read: (m) => (isNum(m.hotBackendRatio) ? m.hotBackendRatio : undefined) },
  {
    name: 'node egress P50 (MB/s)',
    read: (m) => {
      const v = quantileRecord(m, 'nodeEgressBps')?.p50;
      return v === undefined ? undefined : Math.round(v / 1e3) / 1e3;
    },
  },
];

export function compareScalarRows(runs: readonly ReportRun[]) {
  return runs.flatMap((r) =>
    pointsOf(r.envelope).flatMap((p) =>
      SCALAR_METRICS.flatMap(({ name, read }) => {
        const v = read(p.metrics);
        return v === undefined ? [] : [{ run: r.label, point: p.label, metric: name, value: v }];
      }),
    ),
  );
}

export function compareScalarsSpec(runs: readonly ReportRun[]): VegaLiteSpec | null {
  const rows = compareScalarRows(runs);
  if (new Set(rows.map((r) => r.run)).size < 2) return null;
  const labels = unionLabels(runs);
  const metrics = SCALAR_METRICS.map((m) => m.name).filter((n) => rows.some((r) => r.metric === n));
  return {
    $schema: SCHEMA,
    data: { values: rows },
    mark: { type: 'bar' },
    width: Math.max(240, labels.length * runs.length * 18),
    height: 120,
    encoding: {
      row: {
        field: 'metric',
        type: 'nominal',
        sort: metrics,
        title: null,
        header: { labelAngle: 0, labelAlign: 'left' },
      },
      x: { field: 'point', type: 'nominal', sort: labels, title: 'configuration', axis: { labelAngle: -30 } },
      xOffset: { field: 'run', type: 'nominal', sort: runs.map((r) => r.label) },
      y: { field: 'value', type: 'quantitative', title: null },
      color: { field: 'run', type: 'nominal', sort: runs.map((r) => r.label), title: 'run' },
      tooltip: [
        { field: 'run' },
        { field: 'point', title: 'configuration' },
        { field: 'metric' },
        { field: 'value' },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
}
