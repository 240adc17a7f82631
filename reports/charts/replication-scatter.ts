/**
 * Share of pushes whose sub-requests scattered across replicas while the global name
 * flapped, per mitigation, with the closed form as a tick where one exists. Rows come from
 * the summary's `scatter` list ([{mitigation, scatteredShare, closedForm}]), the shape the
 * dns-bounce scenario must write too.
 */
import { isNum } from '../points';
import type { ChartEntry, ReportRun, VegaLiteSpec } from '../types';
import { ownSource, SCHEMA } from './common';

export interface ScatterRow {
  series: string;
  mitigation: string;
  share: number;
  closedForm: number | null;
}

export function scatterRows(run: ReportRun): ScatterRow[] {
  const list = run.envelope.metrics.scatter;
  if (!Array.isArray(list)) return [];
  const series = `${run.label} (${ownSource(run.envelope.kind)})`;
  return list
    .filter(
      (r) =>
        typeof r === 'object' && r !== null && typeof r.mitigation === 'string' && isNum(r.scatteredShare),
    )
    .map((r) => ({
      series,
      mitigation: r.mitigation as string,
      share: r.scatteredShare as number,
      closedForm: isNum(r.closedForm) ? r.closedForm : null,
    }));
}

export function scatterSpec(runs: readonly ReportRun[]): VegaLiteSpec | null {
  const values = runs.flatMap(scatterRows);
  if (values.length === 0) return null;
  return {
    $schema: SCHEMA,
    width: 360,
    height: 220,
    data: { values },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'mitigation', type: 'nominal', title: 'mitigation', sort: null },
          xOffset: { field: 'series' },
          y: { field: 'share', type: 'quantitative', title: 'pushes scattered', axis: { format: '%' } },
          color: { field: 'series', type: 'nominal', title: 'run' },
          tooltip: [
            { field: 'series', title: 'run' },
            { field: 'mitigation' },
            { field: 'share', title: 'scattered', format: '.1%' },
            { field: 'closedForm', title: 'closed form', format: '.1%' },
          ],
        },
      },
      {
        transform: [{ filter: 'isValid(datum.closedForm)' }],
        mark: { type: 'tick', color: '#222222', thickness: 2 },
        encoding: {
          x: { field: 'mitigation', type: 'nominal', sort: null },
          y: { field: 'closedForm', type: 'quantitative' },
        },
      },
    ],
  } as VegaLiteSpec;
}

export const replicationScatterChart: ChartEntry<ReportRun> = {
  id: 'replication-scatter',
  title: 'Scattered pushes per mitigation (DNS bouncing)',
  help: 'share of pushes whose sub-requests reached more than one replica, per mitigation',
  caption: () =>
    'Bars: share of pushes through the flapping global name whose sub-requests reached more than one replica (and so failed with BLOB_UPLOAD_UNKNOWN or MANIFEST_BLOB_UNKNOWN); for retry-push, those whose last attempt still did. Black ticks: the closed form where one exists.',
  build: (run) => scatterSpec([run]),
};
