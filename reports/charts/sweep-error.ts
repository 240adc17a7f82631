/**
 * A simulated copy sweep against the measured one it predicts (`stampede report <measured>
 * <simulated>`): per measured point, the simulator's error on pull P50/P90/P99 and on the
 * hottest backend's peak over its ceiling, with the 503 counts side by side in the tooltip.
 * Points are matched by copy count and fleet size (storage.copies, workload.nodes), not by
 * label, so a prediction for other copy counts or VUs lines up with the run that measured it.
 */
import type { Envelope, Point } from '../../lib/results/envelope';
import type { ReportRun, VegaLiteSpec } from '../types';
import { ABOVE, BELOW, INK, SCHEMA } from './common';

export interface SweepErrorRow {
  point: string;
  figure: string;
  measured: number;
  simulated: number;
  /** simulated / measured - 1 */
  error: number;
  measured503: number;
  simulated503: number;
  /** The band the figure is held to: +-10% for P50/P90, +-15% for P99 and the ratio. */
  band: number;
}

const nodesOf = (e: Envelope, p: Point): number | undefined => {
  const own = p.params['workload.nodes'];
  if (typeof own === 'number') return own;
  const w = (e.params.workload as { nodes?: number } | undefined)?.nodes;
  return typeof w === 'number' ? w : undefined;
};

export function sweepErrorRows(measured: Envelope, simulated: Envelope): SweepErrorRow[] {
  const rows: SweepErrorRow[] = [];
  for (const m of measured.points) {
    const copies = m.params['storage.copies'];
    if (typeof copies !== 'number') continue;
    const s = simulated.points.find(
      (p) => p.params['storage.copies'] === copies && nodesOf(simulated, p) === nodesOf(measured, m),
    );
    if (!s) continue;
    const figures: Array<[string, number | undefined, number | undefined, number]> = [
      ['P50', m.metrics.pullS?.p50, s.metrics.pullS?.p50, 0.1],
      ['P90', m.metrics.pullS?.p90, s.metrics.pullS?.p90, 0.1],
      ['P99', m.metrics.pullS?.p99, s.metrics.pullS?.p99, 0.15],
      ['hottest / ceiling', m.metrics.hotBackendRatio, s.metrics.hotBackendRatio, 0.15],
    ];
    for (const [figure, a, b, band] of figures)
      if (a !== undefined && b !== undefined && a > 0)
        rows.push({
          point: `C=${copies} V=${nodesOf(measured, m) ?? '?'}`,
          figure,
          measured: a,
          simulated: b,
          error: b / a - 1,
          measured503: m.metrics.throttleEvents ?? 0,
          simulated503: s.metrics.throttleEvents ?? 0,
          band,
        });
  }
  return rows;
}

/** Two runs, the first measured (k6) and the second simulated: the error chart; else none. */
export function sweepErrorSpec(runs: readonly ReportRun[]): VegaLiteSpec | null {
  const measured = runs.find((r) => r.envelope.kind === 'k6');
  const simulated = runs.find((r) => r.envelope.kind === 'sim');
  if (!measured || !simulated) return null;
  const rows = sweepErrorRows(measured.envelope, simulated.envelope).map((r) => ({
    ...r,
    inBand: Math.abs(r.error) <= r.band ? 'within band' : 'outside band',
  }));
  if (rows.length === 0) return null;
  return {
    $schema: SCHEMA,
    data: { values: rows },
    facet: { column: { field: 'figure', type: 'nominal', title: null, sort: ['P50', 'P90', 'P99'] } },
    spec: {
      width: 160,
      height: 180,
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            x: { field: 'point', type: 'nominal', title: null, sort: null },
            y: {
              field: 'error',
              type: 'quantitative',
              title: 'simulated / measured - 1',
              axis: { format: '+%' },
            },
            color: {
              field: 'inBand',
              type: 'nominal',
              scale: { domain: ['within band', 'outside band'], range: [BELOW, ABOVE] },
              title: null,
            },
            tooltip: [
              { field: 'point' },
              { field: 'figure' },
              { field: 'measured', format: '.3f' },
              { field: 'simulated', format: '.3f' },
              { field: 'error', format: '+.1%' },
              { field: 'measured503', title: '503s measured' },
              { field: 'simulated503', title: '503s simulated' },
            ],
          },
        },
        {
          mark: { type: 'rule', color: INK, strokeDash: [4, 3] },
          encoding: { y: { field: 'band', type: 'quantitative' } },
        },
        {
          mark: { type: 'rule', color: INK, strokeDash: [4, 3] },
          transform: [{ calculate: '-datum.band', as: 'negBand' }],
          encoding: { y: { field: 'negBand', type: 'quantitative' } },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as VegaLiteSpec;
}
