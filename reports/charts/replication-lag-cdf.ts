/**
 * Replication lag per target region (empirical CDFs), one line per region and run, so a
 * measured lab run (its replicator's per-replica lags) overlays the simulated twin. Rows come
 * from the summary's `lagCdf` ([{region, value, fraction}]) when present, else from raw
 * records `{kind: 'lag', region, lagS}` (what the push-pull-race scenario must write too).
 */
import type { ChartEntry, ReportRun, VegaLiteSpec } from '../types';
import { type RegionCdfRow, regionCdfRows, regionCdfSpec } from './region-cdf';

export type LagCdfRow = RegionCdfRow;

export function lagCdfChartRows(run: ReportRun): LagCdfRow[] {
  return regionCdfRows(run, { metric: 'lagCdf', rawKind: 'lag', rawField: 'lagS' });
}

export function lagCdfSpec(runs: readonly ReportRun[]): VegaLiteSpec | null {
  return regionCdfSpec(runs.flatMap(lagCdfChartRows), {
    x: 'replication lag (s, from the home ack)',
    value: 'lag (s)',
  });
}

export const replicationLagCdfChart: ChartEntry<ReportRun> = {
  id: 'replication-lag-cdf',
  title: 'Replication lag per region',
  help: 'CDF of push ack -> content (tag) landing in each target replica',
  caption: () =>
    'Each step is one push landing in one target replica: the time from the home replica acknowledging the push to the tag resolving there. A line that bends right late is a replica whose queue grows.',
  build: (run) => lagCdfSpec([run]),
};
