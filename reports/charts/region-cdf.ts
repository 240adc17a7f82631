/**
 * Empirical CDFs per region, one step line per region and run. The rows of one run, from the summary when it carries them (a
 * simulator run's `<key>`: [{region, value, fraction}]) or else from raw records
 * `{kind, region, <field>}` (what a measured run writes). Replication lag and
 * digest-disagreement windows are both read this way, so a lab run overlays its twin.
 */
import { cdf } from '../../lib/results/stats';
import { isNum } from '../points';
import type { ReportRun, VegaLiteSpec } from '../types';
import { ownSource, SCHEMA } from './common';

export interface RegionCdfRow {
  series: string;
  region: string;
  value: number;
  fraction: number;
}

type Row = Omit<RegionCdfRow, 'series'>;

export function regionCdfRows(
  run: ReportRun,
  from: { metric: string; rawKind: string; rawField: string },
): RegionCdfRow[] {
  const source = `${run.label} (${ownSource(run.envelope.kind)})`;
  const stored = run.envelope.metrics[from.metric];
  let rows: Row[] = [];
  if (Array.isArray(stored))
    rows = stored.filter(
      (r): r is Row =>
        typeof r === 'object' &&
        r !== null &&
        typeof r.region === 'string' &&
        isNum(r.value) &&
        isNum(r.fraction),
    );
  if (rows.length === 0) {
    const by = new Map<string, number[]>();
    for (const r of run.raw) {
      const v = r[from.rawField];
      if (r.kind === from.rawKind && typeof r.region === 'string' && isNum(v)) {
        const list = by.get(r.region) ?? [];
        list.push(v);
        by.set(r.region, list);
      }
    }
    rows = [...by].flatMap(([region, v]) => cdf(v).map((c) => ({ region, ...c })));
  }
  return rows.map((r) => ({ series: `${r.region}, ${source}`, ...r }));
}

/** The step lines of several runs' rows; null when there are none. */
export function regionCdfSpec(
  values: ReadonlyArray<Pick<RegionCdfRow, 'series' | 'value' | 'fraction'>>,
  titles: { x: string; value: string },
): VegaLiteSpec | null {
  if (values.length === 0) return null;
  return {
    $schema: SCHEMA,
    width: 420,
    height: 240,
    data: { values: [...values] },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      x: { field: 'value', type: 'quantitative', title: titles.x },
      y: { field: 'fraction', type: 'quantitative', title: 'fraction of pushes', axis: { format: '%' } },
      color: { field: 'series', type: 'nominal', title: 'region, run' },
      tooltip: [
        { field: 'series', title: 'region, run' },
        { field: 'value', title: titles.value, format: '.2f' },
        { field: 'fraction', format: '.1%' },
      ],
    },
  } as VegaLiteSpec;
}
