/**
 * Empirical CDF of a per-node duration, one line per configuration. Taken from the
 * summary's thinned CDF when present, else rebuilt from raw records so a run killed before
 * its summary still gets the chart.
 */
import { collectMetrics, isPoint } from '../../lib/k6/collect';
import type { Envelope } from '../../lib/results/envelope';
import { cdf } from '../../lib/results/stats';
import { entry, isNum, labelsOf, pointsOf } from '../points';
import type { RawRecord, VegaLiteSpec } from '../types';
import { SCHEMA } from './common';

export interface CdfRow {
  point: string;
  value: number;
  fraction: number;
}

export interface CdfOptions {
  /** Per-record key in raw.ndjson, e.g. podStartupS. */
  rawKey: string;
  /** Per-point metric holding `[{value, fraction}]`, e.g. podStartupCdf. */
  cdfKey: string;
  /** What the y axis counts, e.g. "nodes" or "pulls". */
  of: string;
}

function cdfFromMetric(v: unknown): Array<{ value: number; fraction: number }> {
  if (!Array.isArray(v)) return [];
  return v.filter(
    (r): r is { value: number; fraction: number } =>
      typeof r === 'object' && r !== null && isNum((r as CdfRow).value) && isNum((r as CdfRow).fraction),
  );
}

export function cdfRows(envelope: Envelope, raw: readonly RawRecord[], o: CdfOptions): CdfRow[] {
  const points = pointsOf(envelope);
  const fromSummary = points.flatMap((p) =>
    cdfFromMetric(p.metrics[o.cdfKey]).map((r) => ({ point: p.label, value: r.value, fraction: r.fraction })),
  );
  if (fromSummary.length > 0) return fromSummary;
  // Raw records name their configuration in `point`; a run without points has one group.
  const groups = new Map<string, number[]>();
  for (const r of raw) {
    const v = r[o.rawKey];
    if (!isNum(v)) continue;
    const label = typeof r.point === 'string' ? r.point : envelope.name;
    entry(groups, label, () => []).push(v);
  }
  return [...groups].flatMap(([point, values]) => cdf(values).map((c) => ({ point, ...c })));
}

export function cdfSpec(envelope: Envelope, raw: readonly RawRecord[], o: CdfOptions): VegaLiteSpec | null {
  const rows = cdfRows(envelope, raw, o);
  if (rows.length === 0) return null;
  const order = labelsOf(pointsOf(envelope));
  for (const r of rows) if (!order.includes(r.point)) order.push(r.point);
  return {
    $schema: SCHEMA,
    width: 480,
    height: 260,
    data: { values: rows },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      x: { field: 'value', type: 'quantitative', title: 'seconds', scale: { zero: false } },
      y: {
        field: 'fraction',
        type: 'quantitative',
        title: `fraction of ${o.of} done`,
        axis: { format: '%' },
      },
      color: { field: 'point', type: 'nominal', sort: order, title: 'configuration' },
      tooltip: [
        { field: 'point', title: 'configuration' },
        { field: 'value', title: 'seconds', format: '.1f' },
        { field: 'fraction', format: '.1%' },
      ],
    },
  };
}

export function podStartupCdfSpec(envelope: Envelope, raw: readonly RawRecord[] = []): VegaLiteSpec | null {
  return cdfSpec(envelope, raw, { rawKey: 'podStartupS', cdfKey: 'podStartupCdf', of: 'nodes' });
}

/**
 * A k6 run's summary from before the run command wrote `pullCdf` lacks it, and k6's raw
 * output has no per-pull `pullS` record: rebuild it from the raw points with the run
 * command's own summary code, so every k6 run with raw.ndjson gets the chart.
 */
export function withK6PullCdf(envelope: Envelope, raw: readonly RawRecord[]): Envelope {
  const points = pointsOf(envelope);
  const [only] = points;
  if (envelope.kind !== 'k6' || points.length !== 1 || !only || only.metrics.pullCdf !== undefined)
    return envelope;
  if (!raw.some(isPoint)) return envelope;
  const pullCdf = collectMetrics(raw).pullCdf;
  if (!Array.isArray(pullCdf) || pullCdf.length === 0) return envelope;
  return { ...envelope, points: [{ ...only, metrics: { ...only.metrics, pullCdf } }] };
}

export function pullCdfSpec(envelope: Envelope, raw: readonly RawRecord[] = []): VegaLiteSpec | null {
  return cdfSpec(withK6PullCdf(envelope, raw), raw, { rawKey: 'pullS', cdfKey: 'pullCdf', of: 'pulls' });
}
