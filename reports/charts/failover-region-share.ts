/**
 * The fleet's share of successful pulls served by each region over time, with the fault
 * window and Traffic Manager's transitions marked. Takes several runs so a simulated and
 * a measured run overlay (line dash = run). Rows come from the summary's `regionShare`
 * when present, else from raw `{kind: 'bin', t, region, served, failed}` records.
 */
import { isNum } from '../points';
import type { ChartEntry, ReportRun, VegaLiteSpec } from '../types';
import { SCHEMA } from './common';

export interface ShareRow {
  series: string;
  t: number;
  region: string;
  share: number;
  served: number;
  failed: number;
}

interface Marker {
  t: number;
  what: string;
}

function seriesName(run: ReportRun): string {
  return `${run.label} (${run.envelope.kind === 'sim' ? 'simulated' : 'measured'})`;
}

export function regionShareRows(run: ReportRun): ShareRow[] {
  const series = seriesName(run);
  const fromMetric = run.envelope.metrics.regionShare;
  let rows: Array<Omit<ShareRow, 'series'>> = [];
  if (Array.isArray(fromMetric))
    rows = fromMetric.filter(
      (r): r is Omit<ShareRow, 'series'> =>
        typeof r === 'object' && r !== null && isNum(r.t) && typeof r.region === 'string' && isNum(r.share),
    );
  if (rows.length === 0) {
    const bins = run.raw.filter(
      (r) => r.kind === 'bin' && isNum(r.t) && typeof r.region === 'string' && isNum(r.served),
    );
    const totals = new Map<number, number>();
    for (const b of bins) totals.set(b.t as number, (totals.get(b.t as number) ?? 0) + (b.served as number));
    rows = bins.map((b) => {
      const total = totals.get(b.t as number) ?? 0;
      return {
        t: b.t as number,
        region: b.region as string,
        served: b.served as number,
        failed: isNum(b.failed) ? b.failed : 0,
        share: total > 0 ? (b.served as number) / total : 0,
      };
    });
  }
  return rows.map((r) => ({ ...r, series }));
}

export function markers(run: ReportRun): Marker[] {
  const m = run.envelope.metrics;
  const out: Marker[] = [];
  const w = m.faultWindow as { kind?: string; region?: string; startS?: number; clearS?: number } | undefined;
  if (w && isNum(w.startS))
    out.push({ t: w.startS, what: `fault ${w.kind ?? ''} in ${w.region ?? ''} starts` });
  if (w && isNum(w.clearS)) out.push({ t: w.clearS, what: 'fault cleared' });
  const tms = Array.isArray(m.tmTransitions) ? m.tmTransitions : [];
  for (const t of tms as Array<{ t?: unknown; region?: unknown; to?: unknown }>)
    if (isNum(t.t)) out.push({ t: t.t, what: `Traffic Manager: ${String(t.region)} ${String(t.to)}` });
  return out;
}

export function regionShareSpec(runs: readonly ReportRun[]): VegaLiteSpec | null {
  const rows = runs.flatMap(regionShareRows);
  if (rows.length === 0) return null;
  const marks = runs.flatMap(markers);
  const lines = {
    data: { values: rows },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'seconds from run start' },
      y: {
        field: 'share',
        type: 'quantitative',
        title: 'share of successful pulls',
        axis: { format: '%' },
        scale: { domain: [0, 1] },
      },
      color: { field: 'region', type: 'nominal', title: 'served by' },
      strokeDash: { field: 'series', type: 'nominal', title: 'run' },
      tooltip: [
        { field: 'series', title: 'run' },
        { field: 't', title: 'bin start (s)' },
        { field: 'region' },
        { field: 'share', format: '.1%' },
        { field: 'served' },
        { field: 'failed' },
      ],
    },
  };
  const rules = {
    data: { values: marks },
    mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3] },
    encoding: {
      x: { field: 't', type: 'quantitative' },
      tooltip: [
        { field: 'what', title: 'event' },
        { field: 't', title: 'seconds' },
      ],
    },
  };
  return {
    $schema: SCHEMA,
    width: 560,
    height: 260,
    layer: marks.length ? [lines, rules] : [lines],
  } as VegaLiteSpec;
}

export const failoverRegionShareChart: ChartEntry<ReportRun> = {
  id: 'failover-region-share',
  title: 'Which region serves the fleet, over time',
  help: 'share of successful pulls served by each region per time bin, with the fault window marked',
  caption: () =>
    'Each line is one region’s share of the pulls that succeeded in a time bin. Red rules mark the fault start and clear and each Traffic Manager transition; a bin with no successes shows 0 for every region.',
  build: (run) => regionShareSpec([run]),
};
