/**
 * The rebalancing plan as a table drawn by vega-lite (text marks): one row per phase, in
 * cutover order, with what moves where, the hours observed after it and the hottest
 * shared pool's hot-node P95 in its observation window. Reads `metrics.phases`.
 */
import { isNum } from '../points';
import type { VegaLiteSpec } from '../types';
import { SCHEMA } from './common';

export function stampsPlanRows(metrics: Record<string, unknown>) {
  const phases = metrics.phases;
  if (!Array.isArray(phases)) return [];
  return (phases as Array<Record<string, unknown>>).map((ph, i) => {
    const sig = Array.isArray(ph.signals) ? (ph.signals as Array<Record<string, unknown>>) : [];
    const shared = sig.filter((s) => s.shared !== false && isNum(s.hotNodeP95));
    const hottest = shared.reduce<Record<string, unknown> | undefined>(
      (a, s) => (!a || (s.hotNodeP95 as number) > (a.hotNodeP95 as number) ? s : a),
      undefined,
    );
    return {
      row: i + 1,
      phase: String(ph.label ?? ''),
      moved: isNum(ph.registries) ? ph.registries : 0,
      dest: String(ph.dest ?? ''),
      hours: isNum(ph.hours) ? ph.hours : 0,
      hottest: hottest
        ? `${hottest.stamp} ${hottest.pool} ${(hottest.hotNodeP95 as number).toFixed(1)}%`
        : '',
    };
  });
}

export function stampsPlanSpec(metrics: Record<string, unknown>): VegaLiteSpec | null {
  const rows = stampsPlanRows(metrics);
  if (rows.length === 0) return null;
  const columns = [
    { field: 'row', title: '#', x: 0 },
    { field: 'phase', title: 'phase', x: 30 },
    { field: 'moved', title: 'registries', x: 330 },
    { field: 'dest', title: 'to', x: 410 },
    { field: 'hours', title: 'observed h', x: 500 },
    { field: 'hottest', title: 'hottest shared pool (P95)', x: 580 },
  ];
  const cells = rows.flatMap((r) =>
    columns.map((c) => ({
      row: r.row,
      x: c.x,
      text: String((r as Record<string, unknown>)[c.field]).slice(0, 46),
    })),
  );
  const header = columns.map((c) => ({ row: 0, x: c.x, text: c.title }));
  return {
    $schema: SCHEMA,
    width: 800,
    height: 20 * (rows.length + 1),
    data: { values: [...header, ...cells] },
    mark: { type: 'text', align: 'left', baseline: 'middle' },
    encoding: {
      x: { field: 'x', type: 'quantitative', axis: null, scale: { domain: [0, 800] } },
      y: { field: 'row', type: 'ordinal', axis: null },
      text: { field: 'text', type: 'nominal' },
      fontWeight: { condition: { test: 'datum.row === 0', value: 'bold' }, value: 'normal' },
    },
  } as VegaLiteSpec;
}
