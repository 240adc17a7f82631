/**
 * Several runs side by side for one quantile metric: one panel per quantile, one line per
 * run across the configurations they share. Runs without points compare as a single
 * configuration named after the run.
 */
import { formatSeconds } from '../format';
import { pointsOf, quantileName, quantileRecord } from '../points';
import type { ReportRun, VegaLiteSpec } from '../types';
import { SCHEMA } from './common';

export interface CompareRow {
  run: string;
  point: string;
  quantile: string;
  value: number;
  display: string;
}

/** Configuration labels in first-seen order across runs, so shared sweeps line up. */
export function unionLabels(runs: readonly ReportRun[]): string[] {
  const out: string[] = [];
  for (const r of runs) for (const p of pointsOf(r.envelope)) if (!out.includes(p.label)) out.push(p.label);
  return out;
}

export function compareQuantileRows(
  runs: readonly ReportRun[],
  key: string,
  quantiles: readonly string[],
): CompareRow[] {
  return runs.flatMap((r) =>
    pointsOf(r.envelope).flatMap((p) => {
      const q = quantileRecord(p.metrics, key);
      return quantiles.flatMap((name) => {
        const v = q?.[name];
        return v === undefined
          ? []
          : [
              {
                run: r.label,
                point: p.label,
                quantile: quantileName(name),
                value: v,
                display: formatSeconds(v),
              },
            ];
      });
    }),
  );
}

export function compareQuantilesSpec(
  runs: readonly ReportRun[],
  key: string,
  quantiles: readonly string[] = ['p50', 'p90', 'p99'],
): VegaLiteSpec | null {
  const rows = compareQuantileRows(runs, key, quantiles);
  // Comparing needs at least two runs that have the metric.
  if (new Set(rows.map((r) => r.run)).size < 2) return null;
  const labels = unionLabels(runs);
  return {
    $schema: SCHEMA,
    data: { values: rows },
    mark: { type: 'line', point: { filled: true, size: 50 }, strokeWidth: 2 },
    width: Math.max(200, labels.length * 60),
    height: 220,
    encoding: {
      column: { field: 'quantile', type: 'nominal', sort: quantiles.map(quantileName), title: null },
      x: { field: 'point', type: 'nominal', sort: labels, title: 'configuration', axis: { labelAngle: -30 } },
      y: { field: 'value', type: 'quantitative', title: 'seconds', scale: { zero: false } },
      color: { field: 'run', type: 'nominal', sort: runs.map((r) => r.label), title: 'run' },
      tooltip: [
        { field: 'run' },
        { field: 'point', title: 'configuration' },
        { field: 'quantile' },
        { field: 'display', title: 'value' },
      ],
    },
    // P50 and P99 differ by minutes: a shared scale would flatten the P50 panel.
    resolve: { scale: { y: 'independent' } },
  };
}
