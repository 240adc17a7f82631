/**
 * Replication lag per target region (empirical CDFs), one line per region and run, so a
 * measured lab run (its replicator's per-replica lags) overlays the simulated twin. Rows come
 * from the summary's `lagCdf` ([{region, value, fraction}]) when present, else from raw
 * records `{kind: 'lag', region, lagS}` (what the push-pull-race scenario must write too).
 */
import type { ChartEntry, ReportRun, VegaLiteSpec } from '../types';
import { SCHEMA } from './common';
import { type RegionCdfRow, regionCdfRows } from './region-cdf-rows';

export type LagCdfRow = RegionCdfRow;

export function lagCdfChartRows(run: ReportRun): LagCdfRow[] {
  return regionCdfRows(run, { metric: 'lagCdf', rawKind: 'lag', rawField: 'lagS' });
}

export function lagCdfSpec(runs: readonly ReportRun[]): VegaLiteSpec | null {
  const values = runs.flatMap(lagCdfChartRows);
  if (values.length === 0) return null;
  return {
    $schema: SCHEMA,
    width: 420,
    height: 240,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      x: { field: 'value', type: 'quantitative', title: 'replication lag (s, from the home ack)' },
      y: { field: 'fraction', type: 'quantitative', title: 'fraction of pushes', axis: { format: '%' } },
      color: { field: 'series', type: 'nominal', title: 'region, run' },
      tooltip: [
        { field: 'series', title: 'region, run' },
        { field: 'value', title: 'lag (s)', format: '.2f' },
        { field: 'fraction', format: '.1%' },
      ],
    },
  } as VegaLiteSpec;
}

export const replicationLagCdfChart: ChartEntry<ReportRun> = {
  id: 'replication-lag-cdf',
  title: 'Replication lag per region',
  help: 'CDF of push ack -> content (tag) landing in each target replica',
  caption: () =>
    'Each step is one push landing in one target replica: the time from the home replica acknowledging the push to the tag resolving there. A line that bends right late is a replica whose queue grows.',
  build: (run) => lagCdfSpec([run]),
};
