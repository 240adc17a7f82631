/**
 * Hot-node P95 and Max of every shared pool before the first cutover and after each phase
 * of a rebalancing: how much each step took off the stamps the tenant left, and where the
 * threshold sits. Reads `metrics.phases` of a `stampede sim stamps` run.
 */
import { isNum } from '../points';
import type { VegaLiteSpec } from '../types';
import { INK, SCHEMA } from './common';

export interface PhaseRow {
  step: string;
  order: number;
  pool: string;
  signal: string;
  cpu: number;
}

export function stampsPhaseRows(metrics: Record<string, unknown>): PhaseRow[] {
  const phases = metrics.phases;
  const signals = metrics.signals;
  if (!Array.isArray(phases) || !Array.isArray(signals)) return [];
  const out: PhaseRow[] = [];
  for (const s of signals as Array<Record<string, unknown>>) {
    const b = s.before as Record<string, unknown> | undefined;
    if (s.shared === false || !b || !isNum(b.hotNodeP95) || !isNum(b.max)) continue;
    const pool = `${s.stamp} ${s.pool}`;
    out.push({ step: '0 before', order: 0, pool, signal: 'hot-node P95', cpu: b.hotNodeP95 });
    out.push({ step: '0 before', order: 0, pool, signal: 'Max', cpu: b.max });
  }
  (phases as Array<Record<string, unknown>>).forEach((ph, i) => {
    const sig = ph.signals;
    if (!Array.isArray(sig)) return;
    for (const s of sig as Array<Record<string, unknown>>) {
      if (s.shared === false || !isNum(s.hotNodeP95) || !isNum(s.max)) continue;
      const step = `${i + 1} ${String(ph.label ?? '')}`.slice(0, 48);
      const pool = `${s.stamp} ${s.pool}`;
      out.push({ step, order: i + 1, pool, signal: 'hot-node P95', cpu: s.hotNodeP95 });
      out.push({ step, order: i + 1, pool, signal: 'Max', cpu: s.max });
    }
  });
  return out;
}

export function stampsPhasesSpec(metrics: Record<string, unknown>): VegaLiteSpec | null {
  const rows = stampsPhaseRows(metrics);
  if (rows.length === 0) return null;
  const threshold = (metrics.plan as { thresholdPct?: unknown } | undefined)?.thresholdPct;
  const layers: unknown[] = [
    {
      mark: { type: 'line', point: true },
      encoding: {
        x: {
          field: 'step',
          type: 'ordinal',
          sort: { field: 'order' },
          title: 'after phase',
          axis: { labelAngle: -30, labelLimit: 160 },
        },
        y: { field: 'cpu', type: 'quantitative', title: 'CPU %', scale: { domain: [0, 100] } },
        color: { field: 'pool', type: 'nominal', title: 'shared pool' },
        strokeDash: { field: 'signal', type: 'nominal', title: null },
        tooltip: [{ field: 'pool' }, { field: 'signal' }, { field: 'step' }, { field: 'cpu', format: '.1f' }],
      },
    },
  ];
  if (isNum(threshold))
    layers.push({
      data: { values: [{ threshold }] },
      mark: { type: 'rule', color: INK, strokeDash: [2, 2] },
      encoding: { y: { field: 'threshold', type: 'quantitative' } },
    });
  return { $schema: SCHEMA, width: 520, height: 260, data: { values: rows }, layer: layers } as VegaLiteSpec;
}
