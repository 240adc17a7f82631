/**
 * Load over time, the core of k6's own dashboard done from the raw samples: active VUs,
 * requests/s, blob bytes/s received, the failed-request rate and request latency
 * P50/P95/P99 per time bin (each bin's percentiles from that bin's own requests), stacked on
 * one time axis with the run's fault and phase markers as rules across every panel.
 */
import { rateUnit, round3 } from '../format';
import type { K6Aggregate } from '../k6-aggregate';
import type { VegaLiteSpec } from '../types';
import { PALETTE, SCHEMA } from './common';
import { markerLayers } from './markers';
import { binAxis } from './time-bins';

const WIDTH = 860;
const HEIGHT = 100;

export function loadOverTimeSpec(agg: K6Aggregate | undefined): VegaLiteSpec | null {
  if (!agg || agg.load.every((r) => r.requests === 0)) return null;
  const unit = rateUnit(Math.max(...agg.load.map((r) => r.bytesPerS)));
  const rows = agg.load.map((r) => ({
    ...r,
    bytes: round3(r.bytesPerS / unit.divisor),
    reqPerS: round3(r.reqPerS),
    failedPct: round3(r.failedRate * 100),
    failedPerS: round3(r.failedPerS),
  }));
  const x = binAxis(agg);
  const tooltip = [
    { field: 't', title: 'bin start (s)' },
    { field: 'vus', title: 'active VUs' },
    { field: 'reqPerS', title: 'requests/s' },
    { field: 'bytes', title: `received (${unit.unit})` },
    { field: 'failedPct', title: 'failed %' },
    { field: 'p50', title: 'P50 ms' },
    { field: 'p95', title: 'P95 ms' },
    { field: 'p99', title: 'P99 ms' },
    { field: 'requests' },
  ];
  const panel = (title: string, layer: object[], first = false): object => ({
    width: WIDTH,
    height: HEIGHT,
    title: { text: title, anchor: 'start', fontSize: 12 },
    layer: [...layer, ...markerLayers(agg.markers, first)],
  });
  const area = (field: string, yTitle: string, color: string) => ({
    mark: { type: 'area', interpolate: 'step-after', color, opacity: 0.75, line: { color } },
    encoding: { x, y: { field, type: 'quantitative', title: yTitle }, tooltip },
  });
  const hasVus = rows.some((r) => r.vus !== null);
  const panels = [
    hasVus
      ? panel(
          'Active VUs',
          [
            {
              transform: [{ filter: 'datum.vus !== null' }],
              mark: { type: 'line', interpolate: 'step-after', point: true, color: PALETTE[4] },
              encoding: { x, y: { field: 'vus', type: 'quantitative', title: 'VUs' }, tooltip },
            },
          ],
          true,
        )
      : undefined,
    panel('Requests per second', [area('reqPerS', 'requests/s', PALETTE[0] as string)], !hasVus),
    panel('Blob bytes received per second', [area('bytes', unit.unit, PALETTE[3] as string)]),
    panel('Failed requests (expected 401/307 excluded)', [
      {
        mark: { type: 'line', interpolate: 'step-after', color: PALETTE[2] },
        encoding: {
          x,
          y: {
            field: 'failedPct',
            type: 'quantitative',
            title: '% of requests',
            scale: { domain: [0, Math.max(1, ...rows.map((r) => r.failedPct))] },
          },
          tooltip,
        },
      },
    ]),
    panel('Request latency per bin', [
      {
        transform: [
          { fold: ['p50', 'p95', 'p99'], as: ['quantile', 'ms'] },
          { filter: 'datum.ms !== null' },
          { calculate: 'upper(datum.quantile)', as: 'quantile' },
        ],
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x,
          y: { field: 'ms', type: 'quantitative', title: 'ms' },
          color: {
            field: 'quantile',
            type: 'nominal',
            scale: { domain: ['P50', 'P95', 'P99'], range: [PALETTE[0], PALETTE[1], PALETTE[2]] },
            legend: { orient: 'top', title: null },
          },
          tooltip,
        },
      },
    ]),
  ].filter(Boolean);
  return {
    $schema: SCHEMA,
    data: { values: rows },
    vconcat: panels,
    spacing: 14,
  } as VegaLiteSpec;
}
