/**
 * Where the bytes went (k6 lab runs): each storage backend's egress over time (blob bytes
 * it served per second, one panel per region), against its ceiling only where the lab set
 * one: a backend without a ceiling is labelled "no ceiling", never drawn as over it. Below,
 * the 503s each backend answered per bin.
 */
import type { BackendStat, Envelope } from '../../lib/results/envelope';
import { formatRate, rateUnit, round3 } from '../format';
import type { K6Aggregate } from '../k6-aggregate';
import { isNum } from '../points';
import type { VegaLiteSpec } from '../types';
import { SCHEMA } from './common';
import { markerLayers } from './markers';
import { binAxis } from './time-bins';

/** Ceilings by backend id from the summary's backend stats; 0 or absent is "no ceiling". */
export function ceilingsOf(envelope: Envelope): Map<string, number> {
  const out = new Map<string, number>();
  const list = envelope.metrics.backends;
  if (!Array.isArray(list)) return out;
  for (const b of list as BackendStat[])
    if (isNum(b.ceilingBps) && b.ceilingBps > 0) out.set(String(b.id), b.ceilingBps);
  return out;
}

export function backendTimeSpec(agg: K6Aggregate | undefined, envelope: Envelope): VegaLiteSpec | null {
  if (!agg || agg.backends.length === 0) return null;
  const ceilings = ceilingsOf(envelope);
  const bytes = agg.backends.some((r) => r.bytesPerS !== null);
  const max = Math.max(
    ...agg.backends.map((r) => (bytes ? (r.bytesPerS ?? 0) : r.reqPerS)),
    ...ceilings.values(),
  );
  const unit = bytes ? rateUnit(max) : { unit: 'requests/s', divisor: 1 };
  const rows = agg.backends.map((r) => ({
    t: r.t,
    backend: r.backend,
    region: r.region,
    value: round3((bytes ? (r.bytesPerS ?? 0) : r.reqPerS) / unit.divisor),
    r503: r.r503,
    ceiling: ceilings.has(r.backend) ? formatRate(ceilings.get(r.backend) as number) : 'no ceiling',
  }));
  const backends = [...new Set(rows.map((r) => r.backend))].sort();
  const regions = [...new Set(rows.map((r) => r.region))].sort();
  const ceilingRows = backends.map((b) => ({
    backend: b,
    region: rows.find((r) => r.backend === b)?.region ?? '',
    ceiling: ceilings.has(b) ? round3((ceilings.get(b) as number) / unit.divisor) : null,
    text: ceilings.has(b) ? `${b} ceiling ${formatRate(ceilings.get(b) as number)}` : `${b}: no ceiling`,
  }));
  const x = binAxis(agg);
  const color = { field: 'backend', type: 'nominal', sort: backends, title: 'backend' } as const;
  const perRegion = regions.map((region) => ({
    width: 860,
    height: 110,
    title: {
      text: `${region}: ${bytes ? 'egress' : 'blob requests'} per backend`,
      anchor: 'start',
      fontSize: 12,
    },
    layer: [
      {
        data: { values: rows },
        transform: [{ filter: { field: 'region', equal: region } }],
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: unit.unit },
          color,
          tooltip: [
            { field: 'backend' },
            { field: 't', title: 'bin start (s)' },
            { field: 'value', title: unit.unit },
            { field: 'ceiling' },
          ],
        },
      },
      ...(bytes && ceilingRows.some((c) => c.region === region && c.ceiling !== null)
        ? [
            {
              data: { values: ceilingRows },
              transform: [
                { filter: { field: 'region', equal: region } },
                { filter: 'datum.ceiling !== null' },
              ],
              mark: { type: 'rule', strokeDash: [6, 3], strokeWidth: 1.5 },
              encoding: {
                y: { field: 'ceiling', type: 'quantitative' },
                color,
                tooltip: [{ field: 'text', title: 'ceiling' }],
              },
            },
          ]
        : []),
      {
        // Says "no ceiling" in words where the lab set none, so no line reads as a limit.
        data: { values: [{ text: noCeilingText(ceilingRows, region) }] },
        transform: [{ filter: 'datum.text !== ""' }],
        mark: {
          type: 'text',
          align: 'right',
          baseline: 'top',
          x: 'width',
          y: 2,
          dx: -4,
          color: '#57606a',
          fontSize: 10,
        },
        encoding: { text: { field: 'text' } },
      },
      ...markerLayers(agg.markers, false),
    ],
  }));
  const has503 = rows.some((r) => r.r503 > 0);
  const panel503 = {
    width: 860,
    height: 90,
    title: {
      text: has503 ? '503s per backend per bin' : '503s per backend per bin: none in this run',
      anchor: 'start',
      fontSize: 12,
    },
    layer: [
      {
        data: { values: rows },
        mark: { type: 'bar' },
        encoding: {
          x,
          y: {
            field: 'r503',
            type: 'quantitative',
            aggregate: 'sum',
            title: '503s',
            axis: { tickMinStep: 1 },
            scale: { domainMax: 1 },
          },
          color,
          tooltip: [
            { field: 'backend' },
            { field: 't', title: 'bin start (s)' },
            { field: 'r503', aggregate: 'sum', title: '503s' },
          ],
        },
      },
      ...markerLayers(agg.markers, false),
    ],
  };
  return {
    $schema: SCHEMA,
    vconcat: [...perRegion, panel503],
    resolve: { scale: { color: 'shared' } },
  } as VegaLiteSpec;
}

function noCeilingText(
  ceilings: ReadonlyArray<{ region: string; ceiling: number | null; backend: string }>,
  region: string,
): string {
  const none = ceilings.filter((c) => c.region === region && c.ceiling === null).map((c) => c.backend);
  if (none.length === 0) return '';
  const all = ceilings.filter((c) => c.region === region).length;
  return none.length === all ? 'no ceiling set on these backends' : `no ceiling: ${none.join(', ')}`;
}
