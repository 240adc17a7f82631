/**
 * Replication lag per target region (empirical CDFs), one line per region and run, so a
 * measured lab run (its replicator's per-replica lags) overlays the simulated twin. Rows come
 * from the summary's `lagCdf` ([{region, value, fraction}]) when present, else from raw
 * records `{kind: 'lag', region, lagS}` (what the push-pull-race scenario must write too).
 */
import { cdf } from '../../lib/results/stats';
import { isNum } from '../points';
import type { ChartEntry, ReportRun, VegaLiteSpec } from '../types';
import { ownSource, SCHEMA } from './common';

export interface LagCdfRow {
  series: string;
  region: string;
  value: number;
  fraction: number;
}

export function lagCdfChartRows(run: ReportRun): LagCdfRow[] {
  const source = `${run.label} (${ownSource(run.envelope.kind)})`;
  const stored = run.envelope.metrics.lagCdf;
  let rows: Array<{ region: string; value: number; fraction: number }> = [];
  if (Array.isArray(stored))
    rows = stored.filter(
      (r): r is { region: string; value: number; fraction: number } =>
        typeof r === 'object' &&
        r !== null &&
        typeof r.region === 'string' &&
        isNum(r.value) &&
        isNum(r.fraction),
    );
  if (rows.length === 0) {
    const by = new Map<string, number[]>();
    for (const r of run.raw)
      if (r.kind === 'lag' && typeof r.region === 'string' && isNum(r.lagS)) {
        const v = by.get(r.region) ?? [];
        v.push(r.lagS);
        by.set(r.region, v);
      }
    rows = [...by].flatMap(([region, v]) => cdf(v).map((c) => ({ region, ...c })));
  }
  return rows.map((r) => ({ series: `${r.region}, ${source}`, ...r }));
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
