/**
 * Cross-validation: each held-out row's error per figure (P50/P90/P99) against the +-10%
 * band it should fall in. A point outside the shaded band is a configuration the model
 * could not predict from the others. A pure function of a `calibrate-cv` envelope.
 */
import type { Envelope } from '../../lib/results/envelope';
import { isNum, labelsOf, pointsOf } from '../points';
import type { ChartEntry, ReportRun, VegaLiteSpec } from '../types';
import { ABOVE, BELOW, SCHEMA } from './common';

const FIGURES = ['p50', 'p90', 'p99'] as const;

export function cvHeldOutErrorSpec(envelope: Envelope, band = 0.1): VegaLiteSpec | null {
  if (envelope.name !== 'calibrate-cv') return null;
  const points = pointsOf(envelope);
  const rows = points.flatMap((p) => {
    const e = p.metrics.heldOutError as Record<string, unknown> | undefined;
    return FIGURES.flatMap((f) => {
      const v = e?.[f];
      return isNum(v)
        ? [
            {
              point: p.label,
              figure: f.toUpperCase(),
              errorPct: 100 * v,
              status: Math.abs(v) <= band ? 'within band' : 'outside band',
            },
          ]
        : [];
    });
  });
  if (rows.length === 0) return null;
  const x = {
    field: 'point',
    type: 'nominal',
    sort: labelsOf(points),
    title: 'held-out configuration',
    axis: { labelAngle: 0 },
  } as const;
  const y = { field: 'errorPct', type: 'quantitative', title: 'held-out error (%)' } as const;
  return {
    $schema: SCHEMA,
    width: Math.max(300, points.length * 90),
    height: 240,
    layer: [
      {
        data: { values: [{ lo: -100 * band, hi: 100 * band }] },
        mark: { type: 'rect', opacity: 0.15, color: BELOW },
        encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
      },
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: 'rule', strokeDash: [4, 3], color: '#888' },
        encoding: { y: { field: 'zero', type: 'quantitative' } },
      },
      {
        data: { values: rows },
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          x,
          y,
          xOffset: { field: 'figure', sort: FIGURES.map((f) => f.toUpperCase()) },
          shape: { field: 'figure', type: 'nominal', title: null },
          color: {
            field: 'status',
            type: 'nominal',
            title: null,
            scale: { domain: ['within band', 'outside band'], range: [BELOW, ABOVE] },
          },
          tooltip: [
            { field: 'point', title: 'held out' },
            { field: 'figure' },
            { field: 'errorPct', title: 'error (%)', format: '+.1f' },
          ],
        },
      },
    ],
  } as VegaLiteSpec;
}

export const cvHeldOutErrorChart: ChartEntry<ReportRun> = {
  id: 'cv-heldout-error',
  title: 'Held-out error per configuration',
  help: 'calibrate --cv: each held-out row’s P50/P90/P99 error against the +-10% band',
  caption: () =>
    'Each configuration predicted by a fit to the other rows: its error per figure (P50, P90, P99). The shaded band is +-10%; points outside it are configurations the model did not predict.',
  build: (r) => cvHeldOutErrorSpec(r.envelope),
};

/** The charts a `calibrate-cv` run adds to its report (writeReport's `charts` option). */
export function cvCharts(envelope: Envelope): ReadonlyArray<ChartEntry<ReportRun>> {
  return envelope.kind === 'sim' && envelope.name === 'calibrate-cv' ? [cvHeldOutErrorChart] : [];
}
