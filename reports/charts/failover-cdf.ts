/**
 * Failover and failback time over clients (empirical CDFs), with the model's exact
 * bounds as a shaded band. Takes several runs so a simulated and a measured run overlay: each
 * run's lines are named by its label and source (simulated / measured). Rows come from
 * the summary's `failoverCdf` / `failbackCdf` when present, else from raw per-client
 * records `{kind: 'client', failoverS, failbackS}` (what `stampede run failover` must
 * write too).
 */
import { cdf } from '../../lib/results/stats';
import { isNum } from '../points';
import type { ChartEntry, ReportRun, VegaLiteSpec } from '../types';
import { type OverlayBand, overlaySpec, sideOf } from './sim-vs-measured';

export interface FailoverCdfRow {
  series: string;
  phase: 'failover' | 'failback';
  value: number;
  fraction: number;
}

const PHASES = [
  { phase: 'failover', cdfKey: 'failoverCdf', rawKey: 'failoverS' },
  { phase: 'failback', cdfKey: 'failbackCdf', rawKey: 'failbackS' },
] as const;

function seriesName(run: ReportRun): string {
  return `${run.label} (${run.envelope.kind === 'sim' ? 'simulated' : 'measured'})`;
}

function fromMetric(v: unknown): Array<{ value: number; fraction: number }> {
  if (!Array.isArray(v)) return [];
  return v.filter(
    (r): r is { value: number; fraction: number } =>
      typeof r === 'object' && r !== null && isNum(r.value) && isNum(r.fraction),
  );
}

export function failoverCdfRows(run: ReportRun): FailoverCdfRow[] {
  const series = seriesName(run);
  return PHASES.flatMap(({ phase, cdfKey, rawKey }) => {
    let points = fromMetric(run.envelope.metrics[cdfKey]);
    if (points.length === 0) {
      const values = run.raw
        .filter((r) => r.kind === 'client' && isNum(r[rawKey]))
        .map((r) => r[rawKey] as number);
      points = cdf(values);
    }
    return points.map((p) => ({ series, phase, value: p.value, fraction: p.fraction }));
  });
}

/** The simulated setting's exact best..worst case per phase (metrics.bounds), as x bands. */
export function boundRanges(run: ReportRun): OverlayBand[] {
  const b = run.envelope.metrics.bounds as
    | {
        clientFailover?: { min: number; max: number } | null;
        clientFailback?: { min: number; max: number } | null;
      }
    | undefined;
  const out: OverlayBand[] = [];
  const add = (phase: string, r: { min: number; max: number } | null | undefined) => {
    if (!r || !isNum(r.min) || !isNum(r.max)) return;
    out.push({ panel: phase, axis: 'x', low: r.min, high: r.max, label: `${phase} best..worst case` });
  };
  add('failover', b?.clientFailover);
  add('failback', b?.clientFailback);
  return out;
}

/**
 * One panel per phase (failover from the fault start, failback from the clear), each with
 * its own x scale; in each, one step line per run and the simulated run's exact bounds as a
 * shaded band: the sim-vs-measured overlay (./sim-vs-measured) with the phase as its panel.
 */
export function failoverCdfSpec(runs: readonly ReportRun[]): VegaLiteSpec | null {
  const rows = runs.flatMap((run) =>
    failoverCdfRows(run).map((r) => ({
      source: r.series,
      side: sideOf(run),
      panel: r.phase,
      x: r.value,
      y: r.fraction,
    })),
  );
  if (rows.length === 0) return null;
  const bands = runs
    .filter((r) => r.envelope.kind === 'sim')
    .flatMap((run) => boundRanges(run).map((b) => ({ ...b, label: `${run.label}: ${b.label}` })));
  return overlaySpec({
    rows,
    bands,
    mark: 'step',
    sourceTitle: 'run',
    x: { title: 'seconds', format: '.1f' },
    y: { title: 'fraction of clients', format: '%' },
    panels: [
      { id: 'failover', title: 'failover: from the fault start' },
      { id: 'failback', title: 'failback: from the clear' },
    ].filter((p) => rows.some((r) => r.panel === p.id)),
  });
}

export const failoverCdfChart: ChartEntry<ReportRun> = {
  id: 'failover-cdf',
  title: 'Time to failover and failback, over clients',
  help: 'per-client time from fault start to first success, and from clear to first success back home',
  caption: () =>
    'Each step is one client: on the left from the fault start to its first successful pull, on the right from the clear to its first pull served by its own region again. The grey band spans the exact best to worst case of the simulated setting.',
  build: (run) => failoverCdfSpec([run]),
};
