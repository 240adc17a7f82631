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

/** Values longer than this are folded: a summary line, the whole value on click. */
const FOLD_AT = 72;

/**
 * One parameter value as a cell: short values as they are, long ones (a JSON list of layers,
 * a long URL) folded under a one-line preview, the full value pretty-printed and wrapped, so
 * no value widens the table past the page.
 */
export function valueCell(v: string): string {
  if (v.length <= FOLD_AT) return `<td class="text">${h(v)}</td>`;
  let full = v;
  let what = `${v.length} characters`;
  if (/^[[{]/.test(v)) {
    try {
      const parsed: unknown = JSON.parse(v);
      full = JSON.stringify(parsed, null, 1);
      if (Array.isArray(parsed)) what = `${parsed.length} item${parsed.length === 1 ? '' : 's'}`;
    } catch {
      // Not JSON after all: shown as text.
    }
  }
  const preview = `${v.slice(0, 48)}…`;
  return `<td class="text"><details class="fold"><summary>${h(preview)} <span class="meta">(${h(what)})</span></summary><pre>${h(full)}</pre></details></td>`;
}

export function paramsTable(params: Record<string, unknown>, summaryText: string): string {
  const rows = paramRows(params);
  if (rows.length === 0) return `<p class="meta">${h(summaryText)}: none recorded.</p>`;
  const body = rows.map(([k, v]) => `<tr><td class="key">${h(k)}</td>${valueCell(v)}</tr>`).join('');
  return `<details><summary>${h(summaryText)} (${rows.length})</summary>${wrap(
    `<table class="params"><thead><tr><th class="key">parameter</th><th class="key">value</th></tr></thead><tbody>${body}</tbody></table>`,
  )}</details>`;
}

/**
 * Parameters of several columns (the configurations of a sweep, or the runs of a comparison):
 * one row per parameter, one column per configuration or run. With `onlyVarying`, parameters
 * equal in every column are left out (they are in the resolved parameters already).
 */
export function paramsColumnsTable(
  columns: ReadonlyArray<{ label: string; params: unknown }>,
  summaryText: string,
  onlyVarying = false,
): string {
  const maps = columns.map((c) => new Map(paramRows(c.params)));
  const keys: string[] = [];
  for (const m of maps) for (const k of m.keys()) if (!keys.includes(k)) keys.push(k);
  const shown = onlyVarying ? keys.filter((k) => new Set(maps.map((m) => m.get(k))).size > 1) : keys;
  if (shown.length === 0) return '';
  const head = `<tr><th class="key">parameter</th>${columns.map((c) => `<th class="key">${h(c.label)}</th>`).join('')}</tr>`;
  const body = shown
    .map(
      (k) => `<tr><td class="key">${h(k)}</td>${maps.map((m) => valueCell(m.get(k) ?? '–')).join('')}</tr>`,
    )
    .join('');
  return `<details${onlyVarying ? ' open' : ''}><summary>${h(summaryText)} (${shown.length})</summary>${wrap(
    `<table class="params"><thead>${head}</thead><tbody>${body}</tbody></table>`,
  )}</details>`;
}

/** The unit a flattened metric key is in, by DESIGN.md's naming (…S seconds, …Bps bytes/s). */
export function metricUnit(key: string): string {
  const parts = key.split('.');
  if (parts.some((k) => /Bps$/.test(k))) return 'bytes/s';
  if (parts.some((k) => /[a-z]S$/.test(k))) return 'seconds';
  if (/Ratio$/.test(key)) return 'ratio';
  if (parts.some((k) => /^bytes$|Bytes$/.test(k))) return 'bytes';
  return 'count';
}

function sameMetrics(a: Map<string, number>, b: Map<string, number>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

/**
 * Metric rows (name, unit) x one column per configuration. A run whose one configuration
 * carries the run's own metrics (every k6 run) gets that one column, not a copy.
 */
export function metricsTable(envelope: Envelope): string {
  const cols: Array<{ label: string; metrics: Map<string, number> }> = [];
  const top = flattenMetrics(envelope.metrics);
  const points = envelope.points.map((p) => ({ label: p.label, metrics: flattenMetrics(p.metrics) }));
  const [only] = points;
  const duplicate = points.length === 1 && only !== undefined && sameMetrics(top, only.metrics);
  if (points.length === 0 || (top.size > 0 && !duplicate)) cols.push({ label: 'whole run', metrics: top });
  cols.push(...points);
  const metricKeys = unionKeys(cols.map((c) => c.metrics));
  if (metricKeys.length === 0) return '<p class="meta">No metrics recorded.</p>';
  const head = `<tr><th class="key">metric</th><th class="key">unit</th>${cols.map((c) => `<th>${h(c.label)}</th>`).join('')}</tr>`;
  const metricBody = metricKeys
    .map((k) => {
      const cells = cols.map((c) => {
        const v = c.metrics.get(k);
        return `<td title="${v ?? ''}">${v === undefined ? '–' : h(formatMetric(k, v))}</td>`;
      });
      return `<tr><td class="key">${h(k)}</td><td class="unit">${metricUnit(k)}</td>${cells.join('')}</tr>`;
    })
    .join('');
  const sweepParams =
    envelope.points.length > 1
      ? paramsColumnsTable(envelope.points, 'Parameters that differ between configurations', true)
      : '';
  return `${sweepParams}${wrap(`<table class="metrics"><thead>${head}</thead><tbody>${metricBody}</tbody></table>`)}`;
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
