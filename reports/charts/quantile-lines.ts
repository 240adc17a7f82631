/**
 * Quantiles of one metric per configuration, with published values overlaid when the run
 * carries a `reference`. Lines join configurations because sweeps are ordered (copy count
 * grows left to right), which is what makes a U-shaped tail visible at a glance.
 *
 * Drawn by the sim-vs-measured overlay (./sim-vs-measured overlaySpec), like every other twin:
 * colour is the quantile, dash the source (this run solid, published dashed). On a simulated
 * run the published values are the measured side, so each simulated point's tooltip carries
 * its error against the published figure at the same configuration and quantile.
 */
import type { Envelope } from '../../lib/results/envelope';
import { formatRate, formatSeconds, rateUnit, round3 } from '../format';
import { labelsOf, pointsOf, quantileName, quantileRecord, referenceByLabel } from '../points';
import type { VegaLiteSpec } from '../types';
import { ownSource, PALETTE } from './common';
import { type OverlayRow, overlaySpec } from './sim-vs-measured';

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

export const PUBLISHED = 'published';

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
        rows.push({ point: p.label, quantile: quantileName(name), source: PUBLISHED, raw: rv });
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
  if (!rows.some((r) => r.source !== PUBLISHED)) return null;
  const own = ownSource(envelope.kind);
  const names = o.quantiles.map(quantileName);
  const labels = labelsOf(pointsOf(envelope));
  const maxRaw = Math.max(
    0,
    ...pointsOf(envelope).flatMap((p) => Object.values(quantileRecord(p.metrics, o.key) ?? {})),
  );
  const yTitle = o.unit === 'rate' ? rateUnit(maxRaw).unit : 'seconds';
  // Only a simulated run has a side to be wrong: a measured run beside published figures is
  // two measurements, drawn without an error.
  const simulated = envelope.kind === 'sim';
  // Configuration order, then quantile order: the nominal x and the colours follow it.
  const order = (r: QuantileRow) => labels.indexOf(r.point) * names.length + names.indexOf(r.quantile);
  const overlayRows: OverlayRow[] = [...rows]
    .sort((a, b) => order(a) - order(b))
    .map((r) => ({
      source: r.source,
      ...(simulated ? { side: r.source === PUBLISHED ? ('measured' as const) : ('simulated' as const) } : {}),
      group: r.quantile,
      x: r.point,
      y: r.value,
      extra: { value: r.display },
    }));
  const present = names.filter((n) => rows.some((r) => r.quantile === n));
  return overlaySpec({
    rows: overlayRows,
    sources: rows.some((r) => r.source === PUBLISHED) ? [own, PUBLISHED] : [own],
    groupTitle: 'quantile',
    groupColors: Object.fromEntries(present.map((n, i) => [n, PALETTE[i % PALETTE.length] as string])),
    x: { title: 'configuration', type: 'nominal' },
    y: { title: yTitle, zero: false },
    width: Math.max(320, labels.length * 90),
    height: 260,
  });
}
