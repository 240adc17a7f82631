/**
 * The chart every sweep can draw: a quantile metric against the swept value on a true
 * numeric axis (the generic per-point charts space points evenly by label, which hides
 * that 24 -> 96 copies is a bigger step than 2 -> 6). A pure function of the envelope.
 */
import type { Envelope, Quantiles } from '../../lib/results/envelope';
import { SCHEMA } from '../../reports/charts/common';
import type { ChartEntry, ReportRun, VegaLiteSpec } from '../../reports/types';

export interface SweepChartOptions {
  /** The swept parameter path, as in each point's params (e.g. `storage.copies`). */
  path: string;
  /** A Quantiles metric of each point (e.g. `podStartupS`). */
  metric: string;
  /** Axis titles. */
  xTitle: string;
  yTitle: string;
  /** A log x axis, for ladders that grow geometrically. */
  logX?: boolean;
}

const FIGURES = ['p50', 'p90', 'p99'] as const;

export function sweepChartSpec(envelope: Envelope, o: SweepChartOptions): VegaLiteSpec | null {
  const rows: Array<{ value: number; label: string; figure: string; seconds: number }> = [];
  for (const p of envelope.points) {
    const value = p.params[o.path];
    const q = p.metrics[o.metric] as Quantiles | undefined;
    if (typeof value !== 'number' || !q) continue;
    for (const f of FIGURES)
      if (typeof q[f] === 'number')
        rows.push({ value, label: p.label, figure: f.toUpperCase(), seconds: q[f] });
  }
  // One value is not a sweep: the per-point charts already show it.
  if (new Set(rows.map((r) => r.value)).size < 2) return null;
  return {
    $schema: SCHEMA,
    width: 420,
    height: 260,
    data: { values: rows },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'value',
        type: 'quantitative',
        title: o.xTitle,
        scale: o.logX ? { type: 'log' } : { zero: false },
      },
      y: { field: 'seconds', type: 'quantitative', title: o.yTitle, scale: { zero: false } },
      color: { field: 'figure', type: 'nominal', title: null, sort: FIGURES.map((f) => f.toUpperCase()) },
      tooltip: [
        { field: 'label', title: 'point' },
        { field: 'value', title: o.path },
        { field: 'figure' },
        { field: 'seconds', format: '.1f' },
      ],
    },
  } as VegaLiteSpec;
}

/** A report chart entry for a sweep (ChartEntry of the model contract). */
export function sweepChart(
  id: string,
  title: string,
  caption: string,
  o: SweepChartOptions,
): ChartEntry<ReportRun> {
  return {
    id,
    title,
    help: `${o.metric} P50/P90/P99 against ${o.path}`,
    caption: () => caption,
    build: (r) => sweepChartSpec(r.envelope, o),
  };
}
