/**
 * Simulated against measured, on one axis (reusable: the copy sweep, replication and
 * failover each compare their model with a lab run this way). Top: both empirical CDFs
 * where samples exist, and each side's quantiles as ticks on the same value axis. Bottom:
 * the error of each figure, (simulated - measured) / measured, so "the model is 4% fast at
 * P99" is read off directly rather than estimated from two lines.
 *
 *   simVsMeasuredSpec({ unit: 's', measured: { samples: pulls }, simulated: { quantiles: sim.pullS } })
 */
import { quantileSorted } from 'simple-statistics';
import { cdf } from '../../lib/results/stats';
import { round3 } from '../format';
import { quantileName } from '../points';
import type { VegaLiteSpec } from '../types';
import { PALETTE, SCHEMA } from './common';

export interface SimVsMeasuredSide {
  /** Raw values (seconds, bytes/s, ...): drawn as a CDF; quantiles computed when not given. */
  samples?: readonly number[];
  /** p50, p90, p99, max (any subset), in the same unit as the samples. */
  quantiles?: Readonly<Record<string, number>>;
  /** Legend name; default "measured" / "simulated". */
  label?: string;
}

export interface SimVsMeasuredInput {
  /** What the values are in, for the axis ("s", "MB/s"). */
  unit: string;
  /** What is compared ("pull duration"), for the axis title. */
  what?: string;
  measured: SimVsMeasuredSide;
  simulated: SimVsMeasuredSide;
}

const FIGURES = ['p50', 'p90', 'p99', 'max'] as const;

function quantilesOf(side: SimVsMeasuredSide): Record<string, number> {
  const out: Record<string, number> = {};
  const s = side.samples ? [...side.samples].filter(Number.isFinite).sort((a, b) => a - b) : [];
  for (const f of FIGURES) {
    const given = side.quantiles?.[f];
    if (typeof given === 'number' && Number.isFinite(given)) out[f] = given;
    else if (s.length > 0)
      out[f] = f === 'max' ? (s[s.length - 1] as number) : quantileSorted(s, Number(f.slice(1)) / 100);
  }
  return out;
}

/** Error of each figure both sides have: (simulated - measured) / measured, in %. */
export function simVsMeasuredErrors(
  input: SimVsMeasuredInput,
): Array<{ figure: string; measured: number; simulated: number; errorPct: number }> {
  const m = quantilesOf(input.measured);
  const s = quantilesOf(input.simulated);
  return FIGURES.flatMap((f) => {
    const mv = m[f];
    const sv = s[f];
    if (mv === undefined || sv === undefined || mv === 0) return [];
    return [
      {
        figure: quantileName(f),
        measured: mv,
        simulated: sv,
        errorPct: round3(((sv - mv) / Math.abs(mv)) * 100),
      },
    ];
  });
}

export function simVsMeasuredSpec(input: SimVsMeasuredInput): VegaLiteSpec | null {
  const errors = simVsMeasuredErrors(input);
  if (errors.length === 0) return null;
  const names = [input.measured.label ?? 'measured', input.simulated.label ?? 'simulated'];
  const sides = [input.measured, input.simulated];
  const cdfRows = sides.flatMap((side, i) =>
    side.samples
      ? cdf(side.samples).map((p) => ({ source: names[i], value: p.value, fraction: p.fraction }))
      : [],
  );
  const qRows = errors.flatMap((e) => [
    { source: names[0], figure: e.figure, value: e.measured },
    { source: names[1], figure: e.figure, value: e.simulated },
  ]);
  const color = {
    field: 'source',
    type: 'nominal',
    title: null,
    scale: { domain: names, range: [PALETTE[0], PALETTE[1]] },
  } as const;
  const xTitle = `${input.what ?? 'value'} (${input.unit})`;
  const top = {
    width: 600,
    height: 200,
    title: {
      text: cdfRows.length > 0 ? 'Distributions (CDF) and quantiles' : 'Quantiles',
      anchor: 'start',
      fontSize: 12,
    },
    layer: [
      ...(cdfRows.length > 0
        ? [
            {
              data: { values: cdfRows },
              mark: { type: 'line', interpolate: 'step-after' },
              encoding: {
                x: { field: 'value', type: 'quantitative', title: xTitle },
                y: { field: 'fraction', type: 'quantitative', title: 'fraction', axis: { format: '%' } },
                color,
              },
            },
          ]
        : []),
      {
        data: { values: qRows },
        mark: { type: 'tick', thickness: 3, size: 18 },
        encoding: {
          x: { field: 'value', type: 'quantitative', title: xTitle },
          ...(cdfRows.length > 0 ? { y: { datum: 1.04 } } : {}),
          color,
          tooltip: [{ field: 'source' }, { field: 'figure' }, { field: 'value', format: '.4~g' }],
        },
      },
      {
        data: { values: qRows.filter((r) => r.source === names[0]) },
        mark: { type: 'text', dy: -14, fontSize: 10 },
        encoding: {
          x: { field: 'value', type: 'quantitative' },
          ...(cdfRows.length > 0 ? { y: { datum: 1.04 } } : {}),
          text: { field: 'figure' },
        },
      },
    ],
  };
  const bottom = {
    width: 600,
    height: { step: 20 },
    title: { text: 'Error per figure: (simulated - measured) / measured', anchor: 'start', fontSize: 12 },
    data: { values: errors },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'figure', type: 'nominal', sort: errors.map((e) => e.figure), title: null },
          x: { field: 'errorPct', type: 'quantitative', title: 'error (%)' },
          color: { condition: { test: 'datum.errorPct > 0', value: PALETTE[1] }, value: PALETTE[0] },
          tooltip: [
            { field: 'figure' },
            { field: 'measured', format: '.4~g' },
            { field: 'simulated', format: '.4~g' },
            { field: 'errorPct', title: 'error %' },
          ],
        },
      },
      { mark: { type: 'rule', color: '#222' }, encoding: { x: { datum: 0 } } },
      {
        mark: { type: 'text', align: 'left', dx: 4 },
        encoding: {
          y: { field: 'figure', type: 'nominal', sort: errors.map((e) => e.figure) },
          x: { datum: 0 },
          text: { field: 'errorPct', format: '+.1f' },
        },
      },
    ],
  };
  return { $schema: SCHEMA, vconcat: [top, bottom] } as VegaLiteSpec;
}
