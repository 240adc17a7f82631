/**
 * Response codes over time and in total (k6 runs): every failed request by its HTTP status
 * (or "no response"), every failed pull by its OCI code, and the responses the protocol
 * expects (the token flow's 401 challenge, the 307 to storage) counted apart in grey, so a
 * clean run reads as clean and a failing one shows when its failures came.
 */
import type { K6Aggregate } from '../k6-aggregate';
import type { VegaLiteSpec } from '../types';
import { SCHEMA } from './common';
import { markerLayers } from './markers';
import { binAxis, withBinEnd } from './time-bins';

const FAILURE_COLORS = [
  '#d62728',
  '#ff7f0e',
  '#8c564b',
  '#e377c2',
  '#bcbd22',
  '#9467bd',
  '#17becf',
  '#7f7f7f',
];
const EXPECTED_COLORS = ['#b8c2cc', '#dde3e9'];

export function errorsOverTimeSpec(agg: K6Aggregate | undefined): VegaLiteSpec | null {
  if (!agg || agg.codes.length === 0) return null;
  const totals = new Map<string, { expected: boolean; count: number }>();
  for (const r of agg.codes) {
    const t = totals.get(r.code) ?? { expected: r.expected, count: 0 };
    t.count += r.count;
    totals.set(r.code, t);
  }
  // Failures first (most frequent first), then the expected responses.
  const codes = [...totals].sort(
    (a, b) => Number(a[1].expected) - Number(b[1].expected) || b[1].count - a[1].count,
  );
  const failures = codes.filter(([, v]) => !v.expected).map(([c]) => c);
  const expected = codes.filter(([, v]) => v.expected).map(([c]) => c);
  const color = {
    field: 'code',
    type: 'nominal',
    title: 'response',
    scale: {
      domain: [...failures, ...expected],
      range: [
        ...failures.map((_, i) => FAILURE_COLORS[i % FAILURE_COLORS.length]),
        ...expected.map((_, i) => EXPECTED_COLORS[i % EXPECTED_COLORS.length]),
      ],
    },
  };
  const rows = withBinEnd(agg.codes, agg.binS).map((r) => ({
    ...r,
    kind: r.expected ? 'expected' : 'failure',
  }));
  const totalRows = codes.map(([code, v]) => ({
    code,
    count: v.count,
    kind: v.expected ? 'expected' : 'failure',
  }));
  return {
    $schema: SCHEMA,
    vconcat: [
      {
        width: 860,
        height: 140,
        title: { text: 'Per time bin', anchor: 'start', fontSize: 12 },
        layer: [
          {
            data: { values: rows },
            mark: { type: 'bar' },
            encoding: {
              x: binAxis(agg),
              x2: { field: 't2' },
              y: {
                field: 'count',
                type: 'quantitative',
                aggregate: 'sum',
                title: 'responses',
                stack: 'zero',
              },
              color,
              order: { field: 'kind', sort: 'descending' },
              tooltip: [
                { field: 'code', title: 'response' },
                { field: 'kind' },
                { field: 't', title: 'bin start (s)' },
                { field: 'count', aggregate: 'sum', title: 'count' },
              ],
            },
          },
          ...markerLayers(agg.markers),
        ],
      },
      {
        width: 860,
        height: { step: 18 },
        title: { text: 'In total', anchor: 'start', fontSize: 12 },
        data: { values: totalRows },
        layer: [
          {
            mark: { type: 'bar' },
            encoding: {
              y: { field: 'code', type: 'nominal', sort: codes.map(([c]) => c), title: null },
              x: { field: 'count', type: 'quantitative', title: 'responses in the run' },
              color: { ...color, legend: null },
              tooltip: [{ field: 'code', title: 'response' }, { field: 'kind' }, { field: 'count' }],
            },
          },
          {
            mark: { type: 'text', align: 'left', dx: 3 },
            encoding: {
              y: { field: 'code', type: 'nominal', sort: codes.map(([c]) => c) },
              x: { field: 'count', type: 'quantitative' },
              text: { field: 'count', format: ',' },
            },
          },
        ],
      },
    ],
  } as VegaLiteSpec;
}
