/** The page's HTML tables: parameters (redacted), metrics per configuration, run deltas. */
import type { Envelope } from '../../lib/results/envelope';
import { flattenMetrics, unionKeys } from '../flatten';
import { formatMetric, escapeHtml as h } from '../format';
import { pointsOf } from '../points';
import { paramRows } from '../redact';
import type { ReportRun } from '../types';

function wrap(table: string): string {
  return `<div class="table-wrap">${table}</div>`;
}

export function paramsTable(params: Record<string, unknown>, summaryText: string): string {
  const rows = paramRows(params);
  if (rows.length === 0) return `<p class="meta">${h(summaryText)}: none recorded.</p>`;
  const body = rows
    .map(([k, v]) => `<tr><td class="key">${h(k)}</td><td class="text">${h(v)}</td></tr>`)
    .join('');
  return `<details><summary>${h(summaryText)} (${rows.length})</summary>${wrap(
    `<table><thead><tr><th class="key">parameter</th><th class="key">value</th></tr></thead><tbody>${body}</tbody></table>`,
  )}</details>`;
}

/** Metric rows x configuration columns; configuration params (redacted) head the table. */
export function metricsTable(envelope: Envelope): string {
  const cols: Array<{ label: string; metrics: Map<string, number>; params: Map<string, string> }> = [];
  const top = flattenMetrics(envelope.metrics);
  if (envelope.points.length === 0 || top.size > 0)
    cols.push({ label: 'whole run', metrics: top, params: new Map() });
  for (const p of envelope.points)
    cols.push({ label: p.label, metrics: flattenMetrics(p.metrics), params: new Map(paramRows(p.params)) });
  const metricKeys = unionKeys(cols.map((c) => c.metrics));
  const paramKeys: string[] = [];
  for (const c of cols) for (const k of c.params.keys()) if (!paramKeys.includes(k)) paramKeys.push(k);
  if (metricKeys.length === 0 && paramKeys.length === 0) return '<p class="meta">No metrics recorded.</p>';
  const head = `<tr><th class="key">metric</th>${cols.map((c) => `<th>${h(c.label)}</th>`).join('')}</tr>`;
  const span = cols.length + 1;
  const paramBody = paramKeys
    .map(
      (k) =>
        `<tr><td class="key">${h(k)}</td>${cols.map((c) => `<td>${h(c.params.get(k) ?? '')}</td>`).join('')}</tr>`,
    )
    .join('');
  const metricBody = metricKeys
    .map((k) => {
      const cells = cols.map((c) => {
        const v = c.metrics.get(k);
        return `<td title="${v ?? ''}">${v === undefined ? '–' : h(formatMetric(k, v))}</td>`;
      });
      return `<tr><td class="key">${h(k)}</td>${cells.join('')}</tr>`;
    })
    .join('');
  const groups =
    (paramKeys.length > 0
      ? `<tr class="group"><td colspan="${span}">configuration parameters</td></tr>${paramBody}`
      : '') +
    (metricKeys.length > 0 ? `<tr class="group"><td colspan="${span}">metrics</td></tr>${metricBody}` : '');
  return wrap(`<table><thead>${head}</thead><tbody>${groups}</tbody></table>`);
}

export interface DeltaRow {
  point: string;
  key: string;
  base: number | undefined;
  others: Array<{ value: number | undefined; delta: number | undefined; pct: number | undefined }>;
}

/** Metric values of every run next to the first run's, matched by configuration label. */
export function deltaRows(runs: readonly ReportRun[]): DeltaRow[] {
  const [first, ...rest] = runs;
  if (!first) return [];
  const byRun = runs.map(
    (r) => new Map(pointsOf(r.envelope).map((p) => [p.label, flattenMetrics(p.metrics)] as const)),
  );
  const labels: string[] = [];
  for (const r of runs)
    for (const p of pointsOf(r.envelope)) if (!labels.includes(p.label)) labels.push(p.label);
  const rows: DeltaRow[] = [];
  for (const point of labels) {
    const maps = byRun.map((m) => m.get(point) ?? new Map<string, number>());
    for (const key of unionKeys(maps)) {
      const base = maps[0]?.get(key);
      const others = rest.map((_, i) => {
        const value = maps[i + 1]?.get(key);
        const delta = value !== undefined && base !== undefined ? value - base : undefined;
        const pct =
          delta !== undefined && base !== undefined && base !== 0
            ? (delta / Math.abs(base)) * 100
            : undefined;
        return { value, delta, pct };
      });
      rows.push({ point, key, base, others });
    }
  }
  return rows;
}

export function deltaTable(runs: readonly ReportRun[]): string {
  const rows = deltaRows(runs);
  const [first, ...rest] = runs;
  if (!first || rows.length === 0) return '<p class="meta">No metrics to compare.</p>';
  const head =
    `<tr><th class="key">configuration</th><th class="key">metric</th><th>${h(first.label)}</th>` +
    rest.map((r) => `<th>${h(r.label)}</th><th>Δ</th><th>Δ %</th>`).join('') +
    '</tr>';
  const fmt = (key: string, v: number | undefined) => (v === undefined ? '–' : h(formatMetric(key, v)));
  const body = rows
    .map((r) => {
      const cells = r.others
        .map((o) => {
          const cls =
            o.delta === undefined || o.delta === 0 ? '' : o.delta > 0 ? ' class="up"' : ' class="down"';
          const sign = o.delta !== undefined && o.delta > 0 ? '+' : '';
          const pct = o.pct === undefined ? '–' : `${o.pct > 0 ? '+' : ''}${o.pct.toFixed(1)}%`;
          return `<td>${fmt(r.key, o.value)}</td><td${cls}>${o.delta === undefined ? '–' : sign + fmt(r.key, o.delta)}</td><td${cls}>${pct}</td>`;
        })
        .join('');
      return `<tr><td class="key">${h(r.point)}</td><td class="key">${h(r.key)}</td><td>${fmt(r.key, r.base)}</td>${cells}</tr>`;
    })
    .join('');
  return wrap(`<table><thead>${head}</thead><tbody>${body}</tbody></table>`);
}
