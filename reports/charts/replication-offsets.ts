/**
 * Share of pullers that never got the image, against the offset of their first pull after
 * the push ack, one line per strategy (and run, for a lab overlay). Rows come from each
 * point's `byOffset` list (points are strategies), the shape push-pull-race must write too.
 */
import { isNum } from '../points';
import type { ChartEntry, ReportRun, VegaLiteSpec } from '../types';
import { ownSource } from './common';
import { overlaySpec, sideOf } from './sim-vs-measured';

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

/** The sim-vs-measured overlay (./sim-vs-measured): strategy is the colour, the run the dash. */
export function offsetSpec(runs: readonly ReportRun[]): VegaLiteSpec | null {
  const rows = runs.flatMap((run) =>
    offsetRows(run).map((r) => ({
      source: `${run.label} (${ownSource(run.envelope.kind)})`,
      side: sideOf(run),
      group: r.strategy,
      x: r.offsetS,
      y: r.failedShare,
    })),
  );
  return overlaySpec({
    rows,
    groupTitle: 'strategy',
    sourceTitle: 'run',
    width: 420,
    x: { title: 'first pull after the push ack (s)' },
    y: { title: 'pullers that failed', format: '%' },
  });
}

export const replicationOffsetsChart: ChartEntry<ReportRun> = {
  id: 'replication-offsets',
  title: 'Failed pulls against pull offset, per strategy',
  help: 'share of pullers without a successful pull, per first-pull offset and strategy',
  caption: () =>
    'Each colour is one pull strategy (dashed: a simulated run beside a measured one): the share of pullers that never resolved the tag when their first pull came this long after the push ack. With "none" the curve is the tail of the replication lag distribution; strategies that wait for the content stay at 0.',
  build: (run) => offsetSpec([run]),
};
