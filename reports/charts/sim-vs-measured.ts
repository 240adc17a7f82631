/**
 * Simulated against measured, on one axis (reusable: the copy sweep, replication and
 * failover each compare their model with a lab run this way). Top, drawn by overlaySpec below
 * like every other twin: both empirical CDFs where samples exist (the line through each side's
 * quantiles where not), and each side's quantiles as points at their fraction. Bottom:
 * the error of each figure, (simulated - measured) / measured, so "the model is 4% fast at
 * P99" is read off directly rather than estimated from two lines.
 *
 *   simVsMeasuredSpec({ unit: 's', measured: { samples: pulls }, simulated: { quantiles: sim.pullS } })
 */
import { quantileSorted } from 'simple-statistics';
import { cdf } from '../../lib/results/stats';
import { round3 } from '../format';
import { quantileName } from '../points';
import type { ReportRun, VegaLiteSpec } from '../types';
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

/** Where each figure sits on a CDF's fraction axis: P50 at 0.5, ..., max at 1. */
const FRACTION: Readonly<Record<string, number>> = { p50: 0.5, p90: 0.9, p99: 0.99, max: 1 };

export function simVsMeasuredSpec(input: SimVsMeasuredInput): VegaLiteSpec | null {
  const errors = simVsMeasuredErrors(input);
  if (errors.length === 0) return null;
  const names = [input.measured.label ?? 'measured', input.simulated.label ?? 'simulated'];
  const sides = [input.measured, input.simulated];
  const cdfRows: OverlayRow[] = sides.flatMap((side, i) =>
    side.samples
      ? cdf(side.samples).map((p) => ({ source: names[i] as string, x: p.value, y: p.fraction }))
      : [],
  );
  // Each side's quantiles are points of its CDF: a figure at its fraction (P90 at 0.9), so
  // the two sides' P90s sit on one horizontal and their gap is the error drawn below.
  const qRows = errors.flatMap((e, k) => {
    const fraction = FRACTION[FIGURES.find((f) => quantileName(f) === e.figure) ?? ''] ?? (k + 1) / 4;
    return [
      { source: names[0], figure: e.figure, value: e.measured, fraction, errorPct: null },
      { source: names[1], figure: e.figure, value: e.simulated, fraction, errorPct: e.errorPct },
    ];
  });
  const xTitle = `${input.what ?? 'value'} (${input.unit})`;
  const color = {
    field: 'source',
    type: 'nominal',
    title: null,
    scale: { domain: names, range: [PALETTE[0], PALETTE[1]] },
  } as const;
  const samples = cdfRows.length > 0;
  // The overlay draws the CDFs (step lines, measured solid, simulated dashed); without samples,
  // the line through each side's quantile points. Its rows carry no side: two CDFs' values at
  // one x are not a measured and a simulated figure, so no error is paired by x; the error per
  // figure is the quantile layer's and the bars below.
  const overlay = overlaySpec({
    rows: samples ? cdfRows : qRows.map((r) => ({ source: r.source as string, x: r.value, y: r.fraction })),
    mark: samples ? 'step' : 'line',
    sources: names,
    x: { title: xTitle },
    y: { title: 'fraction', format: '%' },
    width: 600,
    height: 200,
    panels: [
      {
        id: 'distribution',
        title: samples ? 'Distributions (CDF) and quantiles' : 'Quantiles',
        layers: [
          {
            data: { values: qRows },
            mark: { type: 'point', filled: true, size: 60, shape: 'diamond' },
            encoding: {
              x: { field: 'value', type: 'quantitative' },
              y: { field: 'fraction', type: 'quantitative' },
              color,
              tooltip: [
                { field: 'source' },
                { field: 'figure' },
                { field: 'value', format: '.4~g' },
                { field: 'errorPct', title: 'error %', format: '+.1f' },
              ],
            },
          },
          {
            data: { values: qRows.filter((r) => r.source === names[0]) },
            mark: { type: 'text', dx: -8, align: 'right', fontSize: 10 },
            encoding: {
              x: { field: 'value', type: 'quantitative' },
              y: { field: 'fraction', type: 'quantitative' },
              text: { field: 'figure' },
            },
          },
        ],
      },
    ],
  });
  if (!overlay) return null;
  const { $schema: _schema, ...top } = overlay as unknown as Record<string, unknown>;
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

/** A run's side of the overlay: a simulated run's rows are paired with the measured ones. */
export const sideOf = (run: ReportRun): 'measured' | 'simulated' =>
  run.envelope.kind === 'sim' ? 'simulated' : 'measured';

/**
 * The same comparison for series rather than one distribution: a model's curve over a lab
 * run's, per group (colour: strategy, run, copy count) and panel (one chart each: a phase, a
 * figure), with the bounds the measured side is held to as bands. Failover, push-pull-race and
 * the copy sweep draw their twins with this, so every run with a twin reads the same way:
 * colour is the group, the line's dash its source (measured solid, simulated dashed), a shaded
 * band the bounds, and each simulated point's tooltip carries its error against the measured
 * point at the same place.
 *
 *   overlaySpec({ x: { title: 'offset (s)' }, panels: [{ id: 'failed', y: { title: 'failed', format: '%' } }],
 *     rows: [{ panel: 'failed', group: 'retry', source: 'lab', side: 'measured', x: 0, y: 0.1 }, ...],
 *     bands: [{ panel: 'failed', group: 'retry', axis: 'y', x: 0, low: 0.05, high: 0.15, label: '±5 pp' }] })
 */
export interface OverlayRow {
  /** Legend name of the series ("lab", "sim (simulated)"); one dash style each. */
  source: string;
  /** Which side of the comparison: pairs each simulated row with its measured one for the error. */
  side?: 'measured' | 'simulated';
  /** Colour: strategy, run, copy count. Without groups the colour is the source. */
  group?: string;
  /** The panel the row is drawn in; the first panel when absent. */
  panel?: string;
  x: number | string;
  y: number | null;
  /** Shown in the tooltip as they are (503 counts, the figure's name). */
  extra?: Readonly<Record<string, number | string | null>>;
}

export interface OverlayBand {
  panel?: string;
  group?: string;
  /**
   * 'y': low..high of y at x (a tolerance around the measured value, a model interval), drawn
   * per group as an area (a bar on a nominal x). 'x': a span of x over the panel's height (a
   * model's exact best..worst case).
   */
  axis: 'x' | 'y';
  x?: number | string;
  low: number;
  high: number;
  /** What the band is ("exact bounds", "±10% of measured"), for the tooltip. */
  label: string;
}

export interface OverlayAxis {
  title: string;
  /** d3 format for the axis and tooltips ('%', '.2f'). */
  format?: string;
  type?: 'quantitative' | 'nominal';
  domain?: [number, number];
  /** false: the quantitative scale fits the data rather than starting at 0. */
  zero?: boolean;
}

export interface OverlayPanel {
  id: string;
  title?: string;
  x?: Partial<OverlayAxis>;
  y?: Partial<OverlayAxis>;
  /** Layers drawn over this panel (fault markers on a time axis), with their own data. */
  layers?: readonly object[];
}

export interface OverlayInput {
  rows: readonly OverlayRow[];
  bands?: readonly OverlayBand[];
  x: OverlayAxis;
  y?: OverlayAxis;
  panels?: readonly OverlayPanel[];
  /** 'step' for CDFs; 'line' draws points too. */
  mark?: 'line' | 'step';
  groupTitle?: string;
  /** Fixed colours for some groups ("failed" in red); the others take the palette in order. */
  groupColors?: Readonly<Record<string, string>>;
  sourceTitle?: string;
  /** Source order (the dash styles follow it); default the order met. */
  sources?: readonly string[];
  width?: number;
  height?: number;
}

const DASHES = [
  [1, 0],
  [6, 3],
  [1, 3],
  [8, 3, 1, 3],
];
const BAND_FILL = '#888888';
const keyOf = (r: { panel?: string; group?: string; x: number | string | undefined }) =>
  `${r.panel ?? ''}\u0000${r.group ?? ''}\u0000${r.x}`;

/** Each simulated row's difference from, and error against, the measured row at its place. */
export function overlayErrors(
  rows: readonly OverlayRow[],
): Array<OverlayRow & { measured: number | null; diff: number | null; error: number | null }> {
  const measured = new Map<string, number>();
  for (const r of rows) if (r.side === 'measured' && r.y !== null) measured.set(keyOf(r), r.y);
  return rows.map((r) => {
    const m = r.side === 'simulated' ? measured.get(keyOf(r)) : undefined;
    if (m === undefined || r.y === null) return { ...r, measured: null, diff: null, error: null };
    return { ...r, measured: m, diff: r.y - m, error: m !== 0 ? r.y / m - 1 : null };
  });
}

export function overlaySpec(input: OverlayInput): VegaLiteSpec | null {
  const drawn = input.rows.filter((r) => r.y !== null && Number.isFinite(r.y));
  if (drawn.length === 0) return null;
  const panels: OverlayPanel[] = input.panels?.length ? [...input.panels] : [{ id: drawn[0]?.panel ?? '' }];
  const first = panels[0]?.id ?? '';
  const panelOf = (p: string | undefined) => p ?? first;
  const sources = [...new Set([...(input.sources ?? []), ...drawn.map((r) => r.source)])];
  const grouped = drawn.some((r) => r.group !== undefined);
  const groups = [...new Set(drawn.map((r) => r.group ?? ''))];
  const colorScale = grouped
    ? {
        domain: groups,
        range: (() => {
          const fixed = new Set(Object.values(input.groupColors ?? {}));
          const free = PALETTE.filter((c) => !fixed.has(c));
          let i = 0;
          return groups.map((g) => input.groupColors?.[g] ?? (free[i++ % free.length] as string));
        })(),
      }
    : { domain: sources, range: sources.map((_, i) => PALETTE[i % PALETTE.length] as string) };
  const color = {
    field: grouped ? 'group' : 'source',
    type: 'nominal',
    title: grouped ? (input.groupTitle ?? null) : (input.sourceTitle ?? null),
    scale: colorScale,
  };
  const dash = {
    field: 'source',
    type: 'nominal',
    title: input.sourceTitle ?? 'source',
    scale: { domain: sources, range: sources.map((_, i) => DASHES[i % DASHES.length]) },
    // One source draws one (solid) dash: a legend for it would say nothing.
    ...(sources.length < 2 ? { legend: null } : {}),
  };
  const errors = overlayErrors(drawn);
  const extraKeys = [...new Set(drawn.flatMap((r) => Object.keys(r.extra ?? {})))];
  const values = [
    ...errors.map((r) => ({
      row: 'series',
      panel: panelOf(r.panel),
      group: r.group ?? '',
      source: r.source,
      x: r.x,
      y: r.y,
      measured: r.measured,
      diff: r.diff,
      error: r.error,
      ...r.extra,
    })),
    ...(input.bands ?? [])
      .filter((b) => Number.isFinite(b.low) && Number.isFinite(b.high))
      .map((b) => ({
        row: b.axis === 'x' ? 'xband' : 'yband',
        panel: panelOf(b.panel),
        group: b.group ?? '',
        x: b.x ?? null,
        low: b.low,
        high: b.high,
        band: b.label,
      })),
  ];
  const width = input.width ?? (panels.length > 1 ? 300 : 560);
  const height = input.height ?? 240;
  const unit = (p: OverlayPanel) => {
    const xa = { ...input.x, ...p.x };
    const ya = { ...(input.y ?? { title: 'value' }), ...p.y };
    const xType = xa.type ?? 'quantitative';
    const x = {
      field: 'x',
      type: xType,
      title: xa.title,
      ...(xType === 'nominal' ? { sort: null } : {}),
      // Nominal labels (configuration names) read level; a format applies to numbers only.
      ...(xType === 'nominal'
        ? { axis: { labelAngle: 0 } }
        : xa.format
          ? { axis: { format: xa.format } }
          : {}),
      ...(xa.domain ? { scale: { domain: xa.domain } } : {}),
    };
    const yEnc = {
      field: 'y',
      type: 'quantitative',
      title: ya.title,
      ...(ya.format ? { axis: { format: ya.format } } : {}),
      ...(ya.domain || ya.zero !== undefined
        ? {
            scale: {
              ...(ya.domain ? { domain: ya.domain } : {}),
              ...(ya.zero !== undefined ? { zero: ya.zero } : {}),
            },
          }
        : {}),
    };
    const fmt = ya.format ?? '.4~g';
    const inPanel = (row: string) => ({
      filter: `datum.row === '${row}' && datum.panel === ${JSON.stringify(p.id)}`,
    });
    const has = (row: string) => values.some((v) => v.row === row && v.panel === p.id);
    const layers: object[] = [];
    if (has('xband'))
      layers.push({
        transform: [inPanel('xband')],
        mark: { type: 'rect', color: BAND_FILL, opacity: 0.18, stroke: BAND_FILL, strokeDash: [2, 3] },
        encoding: {
          x: { field: 'low', type: 'quantitative', title: xa.title },
          x2: { field: 'high' },
          tooltip: [
            { field: 'band', title: 'bound' },
            { field: 'low', format: xa.format ?? '.4~g' },
            { field: 'high', format: xa.format ?? '.4~g' },
          ],
        },
      });
    if (has('yband'))
      layers.push({
        transform: [inPanel('yband')],
        mark:
          xType === 'nominal'
            ? { type: 'bar', opacity: 0.2, width: { band: 0.7 } }
            : { type: 'area', opacity: 0.15 },
        encoding: {
          x: { ...x, field: 'x' },
          y: { ...yEnc, field: 'low' },
          y2: { field: 'high' },
          ...(grouped ? { color } : { color: { value: BAND_FILL } }),
          tooltip: [
            ...(grouped ? [{ field: 'group', title: input.groupTitle ?? 'group' }] : []),
            { field: 'band', title: 'bound' },
            { field: 'low', format: fmt },
            { field: 'high', format: fmt },
          ],
        },
      });
    const step = input.mark === 'step';
    layers.push({
      transform: [inPanel('series')],
      mark: step
        ? { type: 'line', interpolate: 'step-after', strokeWidth: 2 }
        : { type: 'line', point: true, strokeWidth: 2 },
      encoding: {
        x,
        y: yEnc,
        color,
        strokeDash: dash,
        ...(grouped ? { detail: { field: 'source' } } : {}),
        tooltip: [
          ...(grouped ? [{ field: 'group', title: input.groupTitle ?? 'group' }] : []),
          { field: 'source', title: input.sourceTitle ?? 'source' },
          {
            field: 'x',
            title: xa.title,
            ...(xType === 'quantitative' ? { format: xa.format ?? '.4~g' } : {}),
          },
          { field: 'y', title: ya.title, format: fmt },
          { field: 'measured', title: 'measured here', format: fmt },
          { field: 'diff', title: 'simulated - measured', format: ya.format === '%' ? '+.1%' : '+.4~g' },
          { field: 'error', title: 'simulated / measured - 1', format: '+.1%' },
          ...extraKeys.map((k) => ({ field: k })),
        ],
      },
    });
    layers.push(...(p.layers ?? []));
    return {
      width,
      height,
      ...(p.title ? { title: { text: p.title, anchor: 'start', fontSize: 12 } } : {}),
      layer: layers,
    };
  };
  const units = panels.map(unit);
  return (
    units.length === 1
      ? { $schema: SCHEMA, data: { values }, ...units[0] }
      : { $schema: SCHEMA, data: { values }, hconcat: units }
  ) as VegaLiteSpec;
}
