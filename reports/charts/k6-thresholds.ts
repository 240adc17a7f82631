/**
 * The run's k6 thresholds as a table: metric, threshold, the value it was decided on (from
 * the merged raw samples of every shard) and the verdict, a crossed one in red. Drawn as
 * vega-lite text cells so it sits among the charts and needs nothing else on the page.
 */
import type { ThresholdResult } from '../../lib/k6/thresholds';
import type { Envelope } from '../../lib/results/envelope';
import type { VegaLiteSpec } from '../types';
import { SCHEMA } from './common';

const COLUMNS = ['metric', 'threshold', 'observed', 'samples', 'verdict'] as const;

function isResult(v: unknown): v is ThresholdResult {
  const r = v as Partial<ThresholdResult> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.metric === 'string' &&
    typeof r.threshold === 'string' &&
    typeof r.ok === 'boolean'
  );
}

export function thresholdRows(envelope: Envelope): ThresholdResult[] {
  const t = envelope.metrics.thresholds;
  return Array.isArray(t) ? t.filter(isResult) : [];
}

const show = (v: number | null | undefined) =>
  typeof v !== 'number' ? 'no samples' : Number.isInteger(v) ? String(v) : v.toPrecision(4);

export function k6ThresholdsSpec(envelope: Envelope): VegaLiteSpec | null {
  const rows = thresholdRows(envelope);
  if (rows.length === 0) return null;
  const cells = rows.flatMap((r, i) => {
    const verdict = r.ok ? 'ok' : 'crossed';
    const text: Record<(typeof COLUMNS)[number], string> = {
      metric: r.metric,
      threshold: r.threshold,
      observed: show(r.observed),
      samples: String(r.samples ?? 0),
      verdict,
    };
    return COLUMNS.map((column) => ({ row: i, column, text: text[column], verdict }));
  });
  return {
    $schema: SCHEMA,
    width: 620,
    height: { step: 22 },
    data: { values: cells },
    mark: { type: 'text', align: 'left', dx: -50 },
    encoding: {
      y: { field: 'row', type: 'ordinal', axis: null },
      x: {
        field: 'column',
        type: 'nominal',
        sort: [...COLUMNS],
        title: null,
        axis: { orient: 'top', labelAngle: 0, domain: false, ticks: false },
      },
      text: { field: 'text' },
      color: {
        field: 'verdict',
        type: 'nominal',
        scale: { domain: ['ok', 'crossed'], range: ['#333333', '#d62728'] },
        legend: null,
      },
    },
  };
}
