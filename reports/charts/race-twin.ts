/**
 * A lab push-pull-race run beside its simulated twin (metrics.twin, lib/k6/push-pull-race/
 * twin.ts): per strategy and offset, the failure share and the time to first success P50/P90,
 * measured and simulated side by side (and the paired replay's share where the run had per-round
 * lags). Two panels over one table of rows.
 */
import { isNum } from '../points';
import type { ChartEntry, ReportRun, VegaLiteSpec } from '../types';
import { SCHEMA } from './common';

interface Row {
  strategy: string;
  offsetS: number;
  /** paired: the twin replaying each lab round with its own measured lag (failure share only). */
  source: 'lab' | 'sim' | 'paired';
  failedShare: number;
  p50: number | null;
  p90: number | null;
}

export function twinRows(run: ReportRun): Row[] {
  const twin = run.envelope.metrics.twin as { rows?: unknown } | undefined;
  if (!twin || !Array.isArray(twin.rows)) return [];
  const out: Row[] = [];
  for (const r of twin.rows as Array<Record<string, unknown>>) {
    if (typeof r.strategy !== 'string' || !isNum(r.offsetS)) continue;
    for (const source of ['lab', 'sim'] as const) {
      const share = r[`${source}FailedShare`];
      const t = r[`${source}ToSuccessS`] as { p50?: unknown; p90?: unknown } | null;
      if (!isNum(share)) continue;
      out.push({
        strategy: r.strategy,
        offsetS: r.offsetS,
        source,
        failedShare: share,
        p50: t && isNum(t.p50) ? t.p50 : null,
        p90: t && isNum(t.p90) ? t.p90 : null,
      });
    }
    if (isNum(r.pairedFailedShare))
      out.push({
        strategy: r.strategy,
        offsetS: r.offsetS,
        source: 'paired',
        failedShare: r.pairedFailedShare,
        p50: null,
        p90: null,
      });
  }
  return out;
}

export function twinSpec(run: ReportRun): VegaLiteSpec | null {
  const values = twinRows(run);
  if (values.length === 0) return null;
  const color = { field: 'strategy', type: 'nominal', title: 'strategy' };
  const dash = {
    field: 'source',
    type: 'nominal',
    title: 'source',
    scale: {
      domain: ['lab', 'sim', 'paired'],
      range: [
        [1, 0],
        [5, 3],
        [1, 3],
      ],
    },
  };
  return {
    $schema: SCHEMA,
    data: { values },
    hconcat: [
      {
        width: 320,
        height: 220,
        title: 'failed pulls',
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'offsetS', type: 'quantitative', title: 'pull offset after the ack (s)' },
          y: {
            field: 'failedShare',
            type: 'quantitative',
            title: 'pullers that failed',
            axis: { format: '%' },
          },
          color,
          strokeDash: dash,
          tooltip: [
            { field: 'strategy' },
            { field: 'source' },
            { field: 'offsetS', title: 'offset (s)' },
            { field: 'failedShare', title: 'failed', format: '.1%' },
          ],
        },
      },
      {
        width: 320,
        height: 220,
        title: 'time to first success, P50 (P90 tick)',
        transform: [{ filter: 'datum.p50 != null' }],
        layer: [
          {
            mark: { type: 'line', point: true },
            encoding: {
              x: { field: 'offsetS', type: 'quantitative', title: 'pull offset after the ack (s)' },
              y: { field: 'p50', type: 'quantitative', title: 'push ack -> tag resolved (s)' },
              color,
              strokeDash: dash,
            },
          },
          {
            mark: { type: 'tick', thickness: 2 },
            encoding: {
              x: { field: 'offsetS', type: 'quantitative' },
              y: { field: 'p90', type: 'quantitative' },
              color,
              opacity: {
                field: 'source',
                type: 'ordinal',
                sort: ['lab', 'sim'],
                scale: { domain: ['lab', 'sim'], range: [1, 0.45] },
              },
              tooltip: [
                { field: 'strategy' },
                { field: 'source' },
                { field: 'p50', title: 'P50 (s)', format: '.3f' },
                { field: 'p90', title: 'P90 (s)', format: '.3f' },
              ],
            },
          },
        ],
      },
    ],
  } as VegaLiteSpec;
}

export const raceTwinChart: ChartEntry<ReportRun> = {
  id: 'race-twin',
  title: 'Lab vs simulated twin, per strategy and offset',
  help: 'push-pull-race on the lab: failure share and time to first success beside `sim replication` with the lab parameters',
  caption: (run) => {
    const twin = run.envelope.metrics.twin as
      | { targetsMet?: boolean; targetsMetWithReplay?: boolean; sets?: string[] }
      | undefined;
    return `Solid lines are measured in the lab, dashed lines simulated by \`stampede sim replication\` with the lab's parameters and the run's measured lag spread (${twin?.sets?.length ?? 0} --set values, in summary.json metrics.twin.sets); dotted, the paired replay (each lab round with its own measured lag), which is what a few rounds can check at an offset inside the lag's spread. Targets: failure share within 5 pp and P50/P90 within 10% per point: ${twin?.targetsMet ? 'met' : twin?.targetsMetWithReplay ? 'met only with the paired replay at some offsets' : 'not all met'}.`;
  },
  build: (run) => twinSpec(run),
};
