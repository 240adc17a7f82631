/**
 * The gate's verdicts on a comparison page: a table of every check (the figures a CI log
 * prints) and a chart of each quantile check's change relative to the baseline, with its
 * bootstrap interval and the allowance, coloured by verdict. A check fails only when its
 * whole interval lies past the allowance tick; one that straddles it is inconclusive.
 */
import { type Check, fmtValue, type GateResult } from '../../lib/results/gate/decide';
import { escapeHtml as h } from '../format';
import type { RenderedChart, VegaLiteSpec } from '../types';
import { SCHEMA } from './common';

const COLOURS = { pass: '#54a24b', fail: '#d62728', inconclusive: '#eeca3b' };

export function gateVerdictRows(r: GateResult) {
  return r.checks.flatMap((c) => {
    if (
      c.kind !== 'quantile' ||
      !c.ci ||
      c.baseline === undefined ||
      c.baseline === 0 ||
      c.allowance === undefined
    )
      return [];
    const rel = (v: number) => Math.round((10000 * v) / Math.abs(c.baseline as number)) / 100;
    return [
      {
        check: c.name,
        verdict: c.verdict,
        delta: rel(c.delta ?? 0),
        lo: rel(c.ci.lo),
        hi: rel(c.ci.hi),
        allowed: rel(c.direction === 'lower' ? c.allowance : -c.allowance),
        figures: `${fmtValue(c.baseline, c.unit)} -> ${fmtValue(c.candidate, c.unit)}`,
      },
    ];
  });
}

export function gateVerdictsSpec(r: GateResult): VegaLiteSpec | null {
  const rows = gateVerdictRows(r);
  if (rows.length === 0) return null;
  const y = { field: 'check', type: 'nominal' as const, sort: rows.map((x) => x.check), title: null };
  const colour = {
    field: 'verdict',
    type: 'nominal' as const,
    scale: { domain: Object.keys(COLOURS), range: Object.values(COLOURS) },
    title: 'verdict',
  };
  return {
    $schema: SCHEMA,
    data: { values: rows },
    width: 480,
    height: { step: 22 },
    layer: [
      { mark: { type: 'rule', color: '#888', strokeDash: [2, 2] }, encoding: { x: { datum: 0 } } },
      {
        mark: { type: 'rule', strokeWidth: 3 },
        encoding: {
          y,
          x: { field: 'lo', type: 'quantitative', title: 'candidate - baseline, % of the baseline' },
          x2: { field: 'hi' },
          color: colour,
        },
      },
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          y,
          x: { field: 'delta', type: 'quantitative' },
          color: colour,
          tooltip: [
            { field: 'check' },
            { field: 'verdict' },
            { field: 'figures', title: 'baseline -> candidate' },
            { field: 'delta', title: 'delta %' },
            { field: 'lo', title: 'CI low %' },
            { field: 'hi', title: 'CI high %' },
            { field: 'allowed', title: 'allowed %' },
          ],
        },
      },
      {
        mark: { type: 'tick', color: '#222', thickness: 2, size: 16 },
        encoding: { y, x: { field: 'allowed', type: 'quantitative' } },
      },
    ],
  };
}

export function gateCharts(r: GateResult): RenderedChart[] {
  const spec = gateVerdictsSpec(r);
  if (!spec) return [];
  return [
    {
      id: 'gate-verdicts',
      title: 'Gate: quantile changes with their bootstrap intervals',
      caption: `Each row is one quantile check: the dot is the candidate's change from the baseline (% of the baseline), the bar its ${Math.round((r.checks.find((c) => c.ci)?.ci?.confidence ?? 0.95) * 100)}% bootstrap interval, the black tick the allowance. A check fails only when the whole bar lies past its tick; a bar across the tick is inconclusive.`,
      spec,
    },
  ];
}

function cell(c: Check): string {
  const delta =
    c.delta === undefined ? '–' : `${c.delta >= 0 ? '+' : '-'}${fmtValue(Math.abs(c.delta), c.unit)}`;
  const ci = c.ci ? `[${fmtValue(c.ci.lo, c.unit)}, ${fmtValue(c.ci.hi, c.unit)}]` : '';
  const allowed =
    c.allowance === undefined ? '' : `${c.direction === 'lower' ? '+' : '-'}${fmtValue(c.allowance, c.unit)}`;
  return `<tr><td class="key">${h(c.name)}</td><td style="color:${COLOURS[c.verdict]};font-weight:bold">${h(c.verdict)}</td><td>${h(fmtValue(c.baseline, c.unit))}</td><td>${h(fmtValue(c.candidate, c.unit))}</td><td>${h(delta)}</td><td>${h(allowed)}</td><td>${h(ci)}</td><td class="key">${h(c.message)}</td></tr>`;
}

/** The verdict banner and table, placed above the comparison's charts. */
export function gateSectionHtml(r: GateResult): string {
  const cls = r.verdict === 'fail' ? 'incomplete' : 'note';
  return `<h2>Gate verdict: ${h(r.verdict.toUpperCase())}</h2>
<div class="banner ${cls}"><b>${h(r.candidate.label)}</b> against <b>${h(r.baseline.label)}</b>: ${r.checks.filter((c) => c.verdict === 'fail').length} failed, ${r.checks.filter((c) => c.verdict === 'inconclusive').length} inconclusive, ${r.checks.filter((c) => c.verdict === 'pass').length} passed. Rules: ${h(r.rulesSource)}.</div>
${r.notes.map((n) => `<div class="banner note">Note: ${h(n)}</div>`).join('')}
<div class="table-wrap"><table><thead><tr><th class="key">check</th><th>verdict</th><th>baseline</th><th>candidate</th><th>delta</th><th>allowed</th><th>CI of delta</th><th class="key">figures</th></tr></thead><tbody>${r.checks.map(cell).join('')}</tbody></table></div>`;
}
