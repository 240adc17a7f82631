/**
 * dns-bounce: the share of pushes that scattered, per mitigation, measured in the lab (with
 * its 95% Wilson interval: a binomial count, not a certainty) beside the scatter model's
 * twin of the same run. Rows come from the summary's `scatter` list
 * ([{mitigation, pushes, scattered, scatteredShare, modeledShare}]).
 */
import { isNum } from '../points';
import type { ChartEntry, ReportRun, VegaLiteSpec } from '../types';
import { INK, PALETTE, SCHEMA } from './common';

export interface BounceRow {
  mitigation: string;
  source: 'lab (measured)' | 'model';
  share: number;
  lo: number | null;
  hi: number | null;
  pushes: number | null;
  scattered: number | null;
}

/** Wilson score interval for k of n at 95%. */
export function wilson(k: number, n: number, z = 1.96): [number, number] {
  if (n <= 0) return [0, 1];
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

export function bounceRows(run: ReportRun): BounceRow[] {
  const list = run.envelope.metrics.scatter;
  if (!Array.isArray(list) || run.envelope.kind !== 'k6') return [];
  return list.flatMap((r): BounceRow[] => {
    if (typeof r !== 'object' || r === null || typeof r.mitigation !== 'string') return [];
    if (!isNum(r.pushes) || !isNum(r.scattered) || !isNum(r.scatteredShare)) return [];
    const [lo, hi] = wilson(r.scattered, r.pushes);
    const lab: BounceRow = {
      mitigation: r.mitigation,
      source: 'lab (measured)',
      share: r.scatteredShare,
      lo,
      hi,
      pushes: r.pushes,
      scattered: r.scattered,
    };
    return isNum(r.modeledShare)
      ? [
          lab,
          {
            mitigation: r.mitigation,
            source: 'model',
            share: r.modeledShare,
            lo: null,
            hi: null,
            pushes: null,
            scattered: null,
          },
        ]
      : [lab];
  });
}

export function bounceScatterSpec(run: ReportRun): VegaLiteSpec | null {
  const values = bounceRows(run);
  if (values.length === 0) return null;
  const color = {
    field: 'source',
    type: 'nominal',
    title: null,
    scale: { domain: ['lab (measured)', 'model'], range: [PALETTE[0], PALETTE[1]] },
  };
  return {
    $schema: SCHEMA,
    width: 380,
    height: 220,
    data: { values },
    encoding: {
      x: { field: 'mitigation', type: 'nominal', title: 'mitigation', sort: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'source', sort: ['lab (measured)', 'model'] },
    },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'share', type: 'quantitative', title: 'pushes scattered', axis: { format: '%' } },
          color,
          tooltip: [
            { field: 'mitigation' },
            { field: 'source' },
            { field: 'share', title: 'scattered', format: '.1%' },
            { field: 'scattered', title: 'scattered pushes' },
            { field: 'pushes' },
            { field: 'lo', title: '95% low', format: '.1%' },
            { field: 'hi', title: '95% high', format: '.1%' },
          ],
        },
      },
      {
        transform: [{ filter: 'isValid(datum.lo)' }],
        mark: { type: 'rule', color: INK },
        encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
      },
    ],
  } as VegaLiteSpec;
}

export const dnsBounceScatterChart: ChartEntry<ReportRun> = {
  id: 'dns-bounce-scatter',
  title: 'Scattered pushes per mitigation: lab vs model',
  help: 'dns-bounce: share of pushes whose sub-requests reached more than one replica, lab and scatter model',
  caption: () =>
    "Per mitigation, the share of pushes through the flapping global name whose sub-requests were answered by more than one replica (each such push failed: BLOB_UPLOAD_UNKNOWN or MANIFEST_BLOB_UNKNOWN); for retry-push, pushes whose last attempt still scattered. Left bar: measured in the lab, black line its 95% interval; right bar: the scatter model given this run's flap interval, sub-request count and measured push span. regional and dns-pin should be 0: a bar there means the pin leaked.",
  build: (run) => bounceScatterSpec(run),
};
