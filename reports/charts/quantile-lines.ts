/**
 * Quantiles of one metric per configuration, with published values overlaid when the run
 * carries a `reference`. Lines join configurations because sweeps are ordered (copy count
 * grows left to right), which is what makes a U-shaped tail visible at a glance.
 */
import type { Envelope } from '../../lib/results/envelope';
import { formatRate, formatSeconds, rateUnit, round3 } from '../format';
import { labelsOf, pointsOf, quantileName, quantileRecord, referenceByLabel } from '../points';
import type { VegaLiteSpec } from '../types';
import { ownSource, PALETTE, SCHEMA } from './common';

export interface QuantileLinesOptions {
  key: string;
  quantiles: readonly string[];
  unit: 'seconds' | 'rate';
}

export interface QuantileRow {
  point: string;
  quantile: string;
  source: string;
  value: number;
  display: string;
}

export function quantileRows(envelope: Envelope, o: QuantileLinesOptions): QuantileRow[] {
  const rows: Array<Omit<QuantileRow, 'value' | 'display'> & { raw: number }> = [];
  const own = ownSource(envelope.kind);
  const ref = referenceByLabel(envelope);
  for (const p of pointsOf(envelope)) {
    const q = quantileRecord(p.metrics, o.key);
    const r = quantileRecord(ref.get(p.label)?.metrics, o.key);
    for (const name of o.quantiles) {
      const v = q?.[name];
      if (v !== undefined) rows.push({ point: p.label, quantile: quantileName(name), source: own, raw: v });
      const rv = r?.[name];
      if (rv !== undefined)
        rows.push({ point: p.label, quantile: quantileName(name), source: 'published', raw: rv });
    }
  }
  const unit = rateUnit(Math.max(0, ...rows.map((r) => r.raw)));
  return rows.map(({ raw, ...r }) => ({
    ...r,
    value: o.unit === 'rate' ? round3(raw / unit.divisor) : raw,
    display: o.unit === 'rate' ? formatRate(raw) : formatSeconds(raw),
  }));
}

export function quantileLinesSpec(envelope: Envelope, o: QuantileLinesOptions): VegaLiteSpec | null {
  const rows = quantileRows(envelope, o);
  if (!rows.some((r) => r.source !== 'published')) return null;
  const own = ownSource(envelope.kind);
  const names = o.quantiles.map(quantileName);
  const labels = labelsOf(pointsOf(envelope));
  const hasRef = rows.some((r) => r.source === 'published');
  const sources = hasRef ? [own, 'published'] : [own];
  const maxRaw = Math.max(
    0,
    ...pointsOf(envelope).flatMap((p) => Object.values(quantileRecord(p.metrics, o.key) ?? {})),
  );
  const yTitle = o.unit === 'rate' ? rateUnit(maxRaw).unit : 'seconds';
  return {
    $schema: SCHEMA,
    width: Math.max(320, labels.length * 90),
    height: 260,
    data: { values: rows },
    encoding: {
      x: { field: 'point', type: 'nominal', sort: labels, title: 'configuration', axis: { labelAngle: 0 } },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: {
        field: 'quantile',
        type: 'nominal',
        sort: names,
        scale: { domain: names, range: PALETTE.slice(0, names.length) },
        title: 'quantile',
      },
    },
    layer: [
      {
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          strokeDash: {
            field: 'source',
            type: 'nominal',
            scale: {
              domain: sources,
              range: [
                [1, 0],
                [5, 4],
              ].slice(0, sources.length),
            },
            title: 'source',
            ...(hasRef ? {} : { legend: null }),
          },
          detail: { field: 'source', type: 'nominal' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          shape: {
            field: 'source',
            type: 'nominal',
            scale: { domain: sources, range: ['circle', 'diamond'].slice(0, sources.length) },
            title: 'source',
            ...(hasRef ? {} : { legend: null }),
          },
          tooltip: [
            { field: 'point', title: 'configuration' },
            { field: 'quantile' },
            { field: 'source' },
            { field: 'display', title: 'value' },
          ],
        },
      },
    ],
  };
}
