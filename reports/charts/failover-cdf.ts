/**
 * Failover and failback time over clients (empirical CDFs), with the model's exact
 * bounds as rules. Takes several runs so a simulated and a measured run overlay: each
 * run's lines are named by its label and source (simulated / measured). Rows come from
 * the summary's `failoverCdf` / `failbackCdf` when present, else from raw per-client
 * records `{kind: 'client', failoverS, failbackS}` (what `stampede run failover` must
 * write too).
 */
import { cdf } from '../../lib/results/stats';
import { isNum } from '../points';
import type { ChartEntry, ReportRun, VegaLiteSpec } from '../types';
import { SCHEMA } from './common';

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

interface BoundRow {
  phase: 'failover' | 'failback';
  value: number;
  which: string;
}

function boundRows(run: ReportRun): BoundRow[] {
  const b = run.envelope.metrics.bounds as
    | {
        clientFailover?: { min: number; max: number } | null;
        clientFailback?: { min: number; max: number } | null;
      }
    | undefined;
  const out: BoundRow[] = [];
  const add = (phase: BoundRow['phase'], r: { min: number; max: number } | null | undefined) => {
    if (!r || !isNum(r.min) || !isNum(r.max)) return;
    out.push(
      { phase, value: r.min, which: `${phase} best case` },
      { phase, value: r.max, which: `${phase} worst case` },
    );
  };
  add('failover', b?.clientFailover);
  add('failback', b?.clientFailback);
  return out;
}

/**
 * One panel per phase (failover from the fault start, failback from the clear), each with
 * its own x scale; in each, one step line per run and the simulated run's bounds as rules.
 */
export function failoverCdfSpec(runs: readonly ReportRun[]): VegaLiteSpec | null {
  const rows = runs.flatMap(failoverCdfRows);
  if (rows.length === 0) return null;
  const bounds = runs.filter((r) => r.envelope.kind === 'sim').flatMap(boundRows);
  const values = [...rows.map((r) => ({ ...r, row: 'cdf' })), ...bounds.map((b) => ({ ...b, row: 'bound' }))];
  const lines = {
    transform: [{ filter: "datum.row === 'cdf'" }],
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      x: { field: 'value', type: 'quantitative', title: 'seconds' },
      y: { field: 'fraction', type: 'quantitative', title: 'fraction of clients', axis: { format: '%' } },
      color: { field: 'series', type: 'nominal', title: 'run' },
      tooltip: [
        { field: 'series', title: 'run' },
        { field: 'value', title: 'seconds', format: '.1f' },
        { field: 'fraction', format: '.1%' },
      ],
    },
  };
  const rules = {
    transform: [{ filter: "datum.row === 'bound'" }],
    mark: { type: 'rule', color: '#888888', strokeDash: [2, 3] },
    encoding: {
      x: { field: 'value', type: 'quantitative' },
      tooltip: [
        { field: 'which', title: 'bound' },
        { field: 'value', title: 'seconds', format: '.1f' },
      ],
    },
  };
  return {
    $schema: SCHEMA,
    data: { values },
    facet: {
      column: {
        field: 'phase',
        type: 'nominal',
        sort: ['failover', 'failback'],
        title: null,
        header: {
          labelExpr:
            "datum.value === 'failover' ? 'failover: from the fault start' : 'failback: from the clear'",
        },
      },
    },
    spec: { width: 300, height: 240, layer: bounds.length ? [rules, lines] : [lines] },
    resolve: { scale: { x: 'independent' } },
  } as VegaLiteSpec;
}

export const failoverCdfChart: ChartEntry<ReportRun> = {
  id: 'failover-cdf',
  title: 'Time to failover and failback, over clients',
  help: 'per-client time from fault start to first success, and from clear to first success back home',
  caption: () =>
    'Each step is one client: on the left from the fault start to its first successful pull, on the right from the clear to its first pull served by its own region again. Grey rules are the exact best and worst cases of the simulated setting.',
  build: (run) => failoverCdfSpec([run]),
};
