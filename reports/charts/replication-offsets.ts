/**
 * Share of pullers that never got the image, against the offset of their first pull after
 * the push ack, one line per strategy (and run, for a lab overlay). Rows come from each
 * point's `byOffset` list (points are strategies), the shape push-pull-race must write too.
 */
import { isNum } from '../points';
import type { ChartEntry, ReportRun, VegaLiteSpec } from '../types';
import { ownSource, SCHEMA } from './common';

export interface OffsetRow {
  series: string;
  strategy: string;
  offsetS: number;
  failedShare: number;
}

export function offsetRows(run: ReportRun): OffsetRow[] {
  const source = `${run.label} (${ownSource(run.envelope.kind)})`;
  return run.envelope.points.flatMap((pt) => {
    const list = pt.metrics.byOffset;
    if (!Array.isArray(list)) return [];
    return list
      .filter((r) => typeof r === 'object' && r !== null && isNum(r.offsetS) && isNum(r.failedShare))
      .map((r) => ({
        series: `${pt.label}, ${source}`,
        strategy: pt.label,
        offsetS: r.offsetS as number,
        failedShare: r.failedShare as number,
      }));
  });
}

export function offsetSpec(runs: readonly ReportRun[]): VegaLiteSpec | null {
  const values = runs.flatMap(offsetRows);
  if (values.length === 0) return null;
  return {
    $schema: SCHEMA,
    width: 420,
    height: 240,
    data: { values },
    mark: { type: 'line', point: true, strokeWidth: 2 },
    encoding: {
      x: { field: 'offsetS', type: 'quantitative', title: 'first pull after the push ack (s)' },
      y: { field: 'failedShare', type: 'quantitative', title: 'pullers that failed', axis: { format: '%' } },
      color: { field: 'series', type: 'nominal', title: 'strategy, run' },
      tooltip: [
        { field: 'series', title: 'strategy, run' },
        { field: 'offsetS', title: 'offset (s)' },
        { field: 'failedShare', title: 'failed', format: '.1%' },
      ],
    },
  } as VegaLiteSpec;
}

export const replicationOffsetsChart: ChartEntry<ReportRun> = {
  id: 'replication-offsets',
  title: 'Failed pulls against pull offset, per strategy',
  help: 'share of pullers without a successful pull, per first-pull offset and strategy',
  caption: () =>
    'Each line is one pull strategy: the share of pullers that never resolved the tag when their first pull came this long after the push ack. With "none" the curve is the tail of the replication lag distribution; strategies that wait for the content stay at 0.',
  build: (run) => offsetSpec([run]),
};
