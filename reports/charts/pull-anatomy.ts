/**
 * A pull's anatomy (k6 runs): each step the client library tags (ping and its 401
 * challenge, Azure AD, the exchange, the registry token, the manifest, the blob's 307 to
 * storage, the blob's bytes) as a distribution of request times and as a share of all the
 * time the pull's requests took; and the same share over time, so a step that slows under
 * load (a token service, a throttled backend) stands out.
 */
import type { K6Aggregate } from '../k6-aggregate';
import type { VegaLiteSpec } from '../types';
import { PALETTE, SCHEMA } from './common';
import { markerLayers } from './markers';
import { binAxis, withBinEnd } from './time-bins';

function stepColor(agg: K6Aggregate) {
  const labels = agg.steps.map((s) => s.label);
  return {
    field: 'label',
    type: 'nominal',
    title: 'step',
    sort: labels,
    scale: { domain: labels, range: labels.map((_, i) => PALETTE[i % PALETTE.length]) },
  } as const;
}

export function pullAnatomySpec(agg: K6Aggregate | undefined): VegaLiteSpec | null {
  if (!agg || agg.steps.length === 0) return null;
  const rows = agg.steps.map((s) => ({ ...s, sharePct: Math.round(s.share * 1000) / 10 }));
  const y = { field: 'label', type: 'nominal', sort: rows.map((r) => r.label), title: null } as const;
  const tooltip = [
    { field: 'label', title: 'step' },
    { field: 'requests' },
    { field: 'p50', title: 'P50 ms' },
    { field: 'p90', title: 'P90 ms' },
    { field: 'p99', title: 'P99 ms' },
    { field: 'max', title: 'max ms' },
    { field: 'sharePct', title: '% of request time' },
  ];
  const x = {
    type: 'quantitative',
    scale: { type: 'log' },
    title: 'request time (ms, log scale): P50 to P99, tick at max',
  } as const;
  return {
    $schema: SCHEMA,
    data: { values: rows },
    hconcat: [
      {
        width: 500,
        height: Math.max(110, rows.length * 24),
        title: { text: 'Request time per step', anchor: 'start', fontSize: 12 },
        layer: [
          {
            mark: { type: 'rule', strokeWidth: 2 },
            encoding: { y, x: { field: 'p50', ...x }, x2: { field: 'p99' }, color: stepColor(agg), tooltip },
          },
          {
            mark: { type: 'point', filled: true, size: 70 },
            encoding: { y, x: { field: 'p50', ...x }, color: { ...stepColor(agg), legend: null }, tooltip },
          },
          {
            mark: { type: 'point', shape: 'diamond', size: 50 },
            encoding: { y, x: { field: 'p90', ...x }, color: { ...stepColor(agg), legend: null }, tooltip },
          },
          {
            mark: { type: 'tick', thickness: 2, color: '#222' },
            encoding: { y, x: { field: 'max', ...x }, tooltip },
          },
        ],
      },
      {
        width: 240,
        height: Math.max(110, rows.length * 24),
        title: { text: 'Share of the request time', anchor: 'start', fontSize: 12 },
        layer: [
          {
            mark: { type: 'bar' },
            encoding: {
              y: { ...y, axis: null },
              x: {
                field: 'sharePct',
                type: 'quantitative',
                title: '% of all request time',
                scale: { domain: [0, 100] },
              },
              color: { ...stepColor(agg), legend: null },
              tooltip,
            },
          },
          {
            mark: { type: 'text', align: 'left', dx: 3 },
            encoding: {
              y: { ...y, axis: null },
              x: { field: 'sharePct', type: 'quantitative' },
              text: { field: 'sharePct', format: '.1f' },
            },
          },
        ],
      },
    ],
    resolve: { scale: { color: 'shared' } },
  } as VegaLiteSpec;
}

export function pullAnatomyOverTimeSpec(agg: K6Aggregate | undefined): VegaLiteSpec | null {
  if (!agg || agg.stepsOverTime.length === 0) return null;
  const rows = withBinEnd(agg.stepsOverTime, agg.binS);
  return {
    $schema: SCHEMA,
    width: 860,
    height: 180,
    layer: [
      {
        data: { values: rows },
        // Stacked here, not by the y channel: with x and x2 both set, vega-lite reads a bar
        // as a horizontal range and puts y's raw value (ms, not the share) at its centre,
        // which drew bars thousands of pixels above a short run's chart (a 25,000 px page).
        transform: [
          {
            stack: 'totalMs',
            groupby: ['t'],
            offset: 'normalize',
            sort: [{ field: 'step' }],
            as: ['share0', 'share1'],
          },
        ],
        mark: { type: 'bar' },
        encoding: {
          x: binAxis(agg),
          x2: { field: 't2' },
          y: {
            field: 'share0',
            type: 'quantitative',
            title: 'share of request time in the bin',
            scale: { domain: [0, 1] },
            axis: { format: '%' },
          },
          y2: { field: 'share1' },
          color: stepColor(agg),
          tooltip: [
            { field: 'label', title: 'step' },
            { field: 't', title: 'bin start (s)' },
            { field: 'p50', title: 'P50 ms in bin' },
            { field: 'totalMs', title: 'ms summed in bin' },
          ],
        },
      },
      ...markerLayers(agg.markers),
    ],
  } as VegaLiteSpec;
}
