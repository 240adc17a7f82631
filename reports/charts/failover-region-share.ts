/**
 * The fleet's share of requests served by each region (or failed) over time, with the fault
 * window and Traffic Manager's transitions marked. Takes several runs so a simulated and
 * a measured run overlay (line dash = run). Rows come from the summary's `regionShare`
 * when present, else from raw `{kind: 'bin', t, region, served, failed}` records.
 */
import { isNum } from '../points';
import type { ChartEntry, ReportRun, VegaLiteSpec } from '../types';
import { ABOVE, INK } from './common';
import { overlaySpec, sideOf } from './sim-vs-measured';

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
  /** Short text drawn at the top of the rule. */
  tag: string;
  source: 'fault' | 'traffic manager';
}

function seriesName(run: ReportRun): string {
  return `${run.label} (${run.envelope.kind === 'sim' ? 'simulated' : 'measured'})`;
}

export interface BinCount {
  t: number;
  region: string;
  served: number;
  failed: number;
}

/**
 * Per bin: each region's share of all requests that ended in the bin (successes it
 * served), plus a `failed` series (requests that failed, wherever), so a bin where the
 * fleet is down reads 100% failed rather than 0 everywhere.
 */
export function shareOfBins(bins: readonly BinCount[]): Array<Omit<ShareRow, 'series'>> {
  const byT = new Map<number, BinCount[]>();
  for (const b of bins) {
    const list = byT.get(b.t) ?? [];
    list.push(b);
    byT.set(b.t, list);
  }
  const out: Array<Omit<ShareRow, 'series'>> = [];
  for (const [t, list] of [...byT].sort((a, b) => a[0] - b[0])) {
    const failed = list.reduce((a, b) => a + b.failed, 0);
    const total = list.reduce((a, b) => a + b.served, 0) + failed;
    const share = (n: number) => (total > 0 ? n / total : 0);
    for (const b of list)
      out.push({ t, region: b.region, served: b.served, failed: b.failed, share: share(b.served) });
    out.push({ t, region: 'failed', served: 0, failed, share: share(failed) });
  }
  return out;
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
  if (rows.length === 0)
    rows = shareOfBins(
      run.raw
        .filter((r) => r.kind === 'bin' && isNum(r.t) && typeof r.region === 'string' && isNum(r.served))
        .map((r) => ({
          t: r.t as number,
          region: r.region as string,
          served: r.served as number,
          failed: isNum(r.failed) ? r.failed : 0,
        })),
    );
  return rows.map((r) => ({ ...r, series }));
}

export function markers(run: ReportRun): Marker[] {
  const m = run.envelope.metrics;
  const out: Marker[] = [];
  const w = m.faultWindow as { kind?: string; region?: string; startS?: number; clearS?: number } | undefined;
  if (w && isNum(w.startS))
    out.push({
      t: w.startS,
      what: `fault ${w.kind ?? ''} in ${w.region ?? ''} starts`,
      tag: 'fault',
      source: 'fault',
    });
  if (w && isNum(w.clearS)) out.push({ t: w.clearS, what: 'fault cleared', tag: 'clear', source: 'fault' });
  const tms = Array.isArray(m.tmTransitions) ? m.tmTransitions : [];
  for (const t of tms as Array<{ t?: unknown; region?: unknown; to?: unknown }>)
    if (isNum(t.t))
      out.push({
        t: t.t,
        what: `Traffic Manager: ${String(t.region)} ${String(t.to)}`,
        tag: `TM ${String(t.to)}`,
        source: 'traffic manager',
      });
  return out;
}

/**
 * The sim-vs-measured overlay (./sim-vs-measured) with the region as its group and the run as
 * its source (line dash), the fault window and Traffic Manager's transitions as rules over it.
 */
export function regionShareSpec(runs: readonly ReportRun[]): VegaLiteSpec | null {
  const rows = runs.flatMap((run) =>
    regionShareRows(run).map((r) => ({
      source: r.series,
      side: sideOf(run),
      group: r.region,
      x: r.t,
      y: r.share,
      extra: { served: r.served, failed: r.failed },
    })),
  );
  if (rows.length === 0) return null;
  const marks = runs.flatMap(markers);
  const ruleLayer = (source: Marker['source'], color: string, dash: number[]) => ({
    data: { values: marks.filter((m) => m.source === source) },
    mark: { type: 'rule', color, strokeDash: dash, strokeWidth: 1.5 },
    encoding: {
      x: { field: 't', type: 'quantitative' },
      tooltip: [
        { field: 'what', title: 'event' },
        { field: 't', title: 'seconds', format: '.1f' },
      ],
    },
  });
  // Fault tags on the first line, Traffic Manager's on the second: a clear and the
  // transition that follows it seconds later would overprint each other.
  const tagLayer = (source: Marker['source'], y: number) => ({
    data: { values: marks.filter((m) => m.source === source) },
    mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, fontSize: 10, color: INK },
    encoding: {
      x: { field: 't', type: 'quantitative' },
      y: { value: y },
      text: { field: 'tag' },
    },
  });
  return overlaySpec({
    rows,
    mark: 'step',
    groupTitle: 'outcome',
    groupColors: { failed: ABOVE },
    sourceTitle: 'run',
    x: { title: 'seconds from run start', format: '.1f' },
    y: { title: 'share of requests ending in the bin', format: '%', domain: [0, 1] },
    panels: [
      {
        id: '',
        layers: marks.length
          ? [
              ruleLayer('fault', INK, [6, 3]),
              ruleLayer('traffic manager', '#888888', [2, 3]),
              tagLayer('fault', 4),
              tagLayer('traffic manager', 18),
            ]
          : [],
      },
    ],
  });
}

export const failoverRegionShareChart: ChartEntry<ReportRun> = {
  id: 'failover-region-share',
  title: 'Which region serves the fleet, over time',
  help: 'share of requests served by each region (or failed) per time bin, with the fault window marked',
  caption: () =>
    'Each line is the share of the requests ending in a time bin that a region served, or that failed (red). Black rules mark the fault start and clear, grey ones each Traffic Manager transition: the gap between a grey rule and the lines moving is what DNS caches add.',
  build: (run) => regionShareSpec([run]),
};
