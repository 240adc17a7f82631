/**
 * One number per configuration as bars, coloured by whether it crosses a threshold, with
 * published values as black ticks. Throttle counts and hot-backend ratios share this shape.
 */
import type { Envelope, Metrics } from '../../lib/results/envelope';
import { isNum, labelsOf, pointsOf, referenceByLabel } from '../points';
import type { VegaLiteSpec } from '../types';
import { ABOVE, BELOW, INK, SCHEMA } from './common';

export interface PerPointBarsOptions {
  read: (m: Metrics | undefined) => number | undefined;
  yTitle: string;
  /** Values strictly above it are highlighted. */
  threshold: number;
  aboveLabel: string;
  belowLabel: string;
  /** Draw the threshold as a dashed rule with this label (a ceiling); omitted for plain counts. */
  ruleLabel?: string;
  /** d3 format of the value printed over each bar. */
  format: string;
  /** Whole counts: no fractional ticks. */
  integer?: boolean;
}

export function perPointBarsSpec(envelope: Envelope, o: PerPointBarsOptions): VegaLiteSpec | null {
  const points = pointsOf(envelope);
  const ref = referenceByLabel(envelope);
  const rows = points.flatMap((p) => {
    const v = o.read(p.metrics);
    return isNum(v)
      ? [{ point: p.label, value: v, status: v > o.threshold ? o.aboveLabel : o.belowLabel }]
      : [];
  });
  if (rows.length === 0) return null;
  const refRows = points.flatMap((p) => {
    const v = o.read(ref.get(p.label)?.metrics);
    return isNum(v) ? [{ point: p.label, value: v }] : [];
  });
  const labels = labelsOf(points);
  // All zeros (a lab without a ceiling throttles nothing) leave vega a [0, 0] domain, whose
  // ticks print as 0.000000: give the axis a unit of room instead.
  const allZero = [...rows, ...refRows].every((r) => r.value === 0) && (!o.ruleLabel || o.threshold === 0);
  const y = {
    field: 'value',
    type: 'quantitative',
    title: o.yTitle,
    ...(allZero && { scale: { domain: [0, 1] } }),
    ...(o.integer && { axis: { tickMinStep: 1 } }),
  } as const;
  const x = {
    field: 'point',
    type: 'nominal',
    sort: labels,
    title: 'configuration',
    axis: { labelAngle: 0 },
  } as const;
  // One colour scale for bars and ticks so the legend lists "published" beside the bar states.
  const domain =
    refRows.length > 0 ? [o.aboveLabel, o.belowLabel, 'published'] : [o.aboveLabel, o.belowLabel];
  const color = { scale: { domain, range: [ABOVE, BELOW, INK].slice(0, domain.length) }, title: null };
  return {
    $schema: SCHEMA,
    width: Math.max(280, labels.length * 80),
    height: 220,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'bar', width: { band: 0.7 } },
        encoding: {
          x,
          y,
          color: { field: 'status', type: 'nominal', ...color },
          tooltip: [
            { field: 'point', title: 'configuration' },
            { field: 'value', title: o.yTitle },
          ],
        },
      },
      {
        // A zero bar is invisible: print every value so "0" reads as measured, not missing.
        data: { values: rows },
        mark: { type: 'text', baseline: 'bottom', dy: -3, fontSize: 11 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative' },
          text: { field: 'value', format: o.format },
        },
      },
      ...(refRows.length > 0
        ? [
            {
              data: { values: refRows },
              mark: { type: 'tick' as const, thickness: 3, size: 36 },
              encoding: {
                x,
                y: { field: 'value', type: 'quantitative' as const },
                color: { datum: 'published', ...color },
                tooltip: [
                  { field: 'point', title: 'configuration' },
                  { field: 'value', title: `published ${o.yTitle}` },
                ],
              },
            },
          ]
        : []),
      ...(o.ruleLabel
        ? [
            {
              data: { values: [{ threshold: o.threshold, label: o.ruleLabel }] },
              mark: { type: 'rule' as const, strokeDash: [6, 4], color: INK },
              encoding: { y: { field: 'threshold', type: 'quantitative' as const } },
            },
            {
              data: { values: [{ threshold: o.threshold, label: o.ruleLabel }] },
              mark: {
                // Right of the plot, where no bar label can collide with it.
                type: 'text' as const,
                align: 'left' as const,
                dx: 4,
                x: 'width' as const,
              },
              encoding: {
                y: { field: 'threshold', type: 'quantitative' as const },
                text: { field: 'label' },
              },
            },
          ]
        : []),
    ],
  };
}
