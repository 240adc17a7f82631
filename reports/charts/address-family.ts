/**
 * Dual-stack runs split by the address family their requests used (metrics.byFamily, from
 * k6's per-request peer address): pull time, throughput, requests and errors per family,
 * one row per metric with its own scale, and the runs (each labelled with its dns.policy)
 * side by side. A run whose policy asked for IPv6 but whose bars are IPv4 (or `none`: it
 * never connected) shows at a glance.
 */
import type { FamilyMetrics } from '../../lib/k6/collect';
import { isNum, pointsOf } from '../points';
import type { ReportRun, VegaLiteSpec } from '../types';
import { SCHEMA } from './common';

const FAMILY_METRICS: ReadonlyArray<{ name: string; read: (f: FamilyMetrics) => number | undefined }> = [
  { name: 'pull P50 (s)', read: (f) => f.pullS?.p50 },
  { name: 'pull P99 (s)', read: (f) => f.pullS?.p99 },
  {
    name: 'pull throughput P50 (MB/s)',
    read: (f) => (isNum(f.pullBps) ? Math.round(f.pullBps / 1e3) / 1e3 : undefined),
  },
  { name: 'storage request P50 (ms)', read: (f) => ms(f.requestS?.storage) },
  { name: 'registry request P50 (ms)', read: (f) => ms(f.requestS?.registry) },
  { name: 'pulls ok', read: (f) => f.pulls?.ok },
  { name: 'pulls failed', read: (f) => f.pulls?.failed },
  { name: 'requests', read: (f) => f.requests },
  { name: 'requests unanswered', read: (f) => f.unanswered },
];

const ms = (s: number | undefined) => (isNum(s) ? Math.round(s * 1e4) / 10 : undefined);

const FAMILIES = ['ipv4', 'ipv6', 'mixed', 'none', 'unknown'];

/** `label (policy)`: the dns.policy the run asked for, beside what it did. */
function runLabel(r: ReportRun): string {
  const dns = (r.envelope.params as { dns?: { policy?: unknown } } | undefined)?.dns;
  return typeof dns?.policy === 'string' ? `${r.label} (${dns.policy})` : r.label;
}

export function familyRows(runs: readonly ReportRun[]) {
  return runs.flatMap((r) =>
    pointsOf(r.envelope).flatMap((p) => {
      const by = (p.metrics as { byFamily?: Record<string, FamilyMetrics> }).byFamily;
      if (typeof by !== 'object' || by === null) return [];
      return Object.entries(by).flatMap(([family, f]) => {
        const errors = Object.entries(f.errors ?? {}).map(([code, n]) => ({
          run: runLabel(r),
          family,
          metric: `errors ${code}`,
          value: n,
        }));
        const values = FAMILY_METRICS.flatMap(({ name, read }) => {
          const v = read(f);
          return isNum(v) ? [{ run: runLabel(r), family, metric: name, value: v }] : [];
        });
        return [...values, ...errors];
      });
    }),
  );
}

export function addressFamilySpec(runs: readonly ReportRun[]): VegaLiteSpec | null {
  const rows = familyRows(runs);
  if (rows.length === 0) return null;
  const labels = [...new Set(rows.map((r) => r.run))];
  const metrics = [
    ...FAMILY_METRICS.map((m) => m.name).filter((n) => rows.some((r) => r.metric === n)),
    ...[...new Set(rows.map((r) => r.metric).filter((m) => m.startsWith('errors ')))].sort(),
  ];
  const families = FAMILIES.filter((f) => rows.some((r) => r.family === f));
  return {
    $schema: SCHEMA,
    data: { values: rows },
    mark: { type: 'bar' },
    width: Math.max(240, labels.length * Math.max(1, families.length) * 26),
    height: 90,
    encoding: {
      row: {
        field: 'metric',
        type: 'nominal',
        sort: metrics,
        title: null,
        header: { labelAngle: 0, labelAlign: 'left' },
      },
      x: {
        field: 'run',
        type: 'nominal',
        sort: labels,
        title: 'run (dns.policy)',
        axis: { labelAngle: -20 },
      },
      xOffset: { field: 'family', type: 'nominal', sort: families },
      y: { field: 'value', type: 'quantitative', title: null },
      color: { field: 'family', type: 'nominal', sort: families, title: 'address family used' },
      tooltip: [{ field: 'run' }, { field: 'family' }, { field: 'metric' }, { field: 'value' }],
    },
    resolve: { scale: { y: 'independent' } },
  };
}
