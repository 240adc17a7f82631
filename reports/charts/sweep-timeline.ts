/**
 * A measured copy sweep's points on one time axis: each point's run from its start marker
 * to its end marker (lib/k6/markers.ts, kind "sweep", written by lib/k6/copy-sweep/
 * run-sweep.ts), so a point that took long, a gap between points (seeding the next image,
 * setting the copy count) or a sweep cut short is seen at once. The tooltip carries the
 * point's pull P50 and failures from the summary.
 */
import type { Envelope } from '../../lib/results/envelope';
import type { RawRecord, VegaLiteSpec } from '../types';
import { SCHEMA } from './common';

export interface SweepSpan {
  point: string;
  startS: number;
  endS: number | null;
  pullP50S: number | null;
  failed: number;
}

const START = / starts$/;
const END = / ends$/;

/** Start and end of each point, seconds since the first point started (null end: it never ended). */
export function sweepSpans(envelope: Envelope, raw: readonly RawRecord[]): SweepSpan[] {
  const marks = raw
    .filter((r) => r.type === 'marker' && r.kind === 'sweep' && typeof r.label === 'string')
    .map((r) => ({ label: r.label as string, ms: Date.parse(String(r.time)) }))
    .filter((m) => Number.isFinite(m.ms));
  const t0 = Math.min(...marks.map((m) => m.ms));
  const spans: SweepSpan[] = [];
  for (const m of marks) {
    if (!START.test(m.label)) continue;
    const point = m.label.replace(START, '');
    const end = marks.find((x) => x.label === `${point} ends` && x.ms >= m.ms);
    const p = envelope.points.find((x) => x.label === point);
    const pull = p?.metrics.pullS as { p50?: number } | undefined;
    const pulls = p?.metrics.pulls as { failed?: number } | undefined;
    spans.push({
      point,
      startS: (m.ms - t0) / 1000,
      endS: end ? (end.ms - t0) / 1000 : null,
      pullP50S: typeof pull?.p50 === 'number' ? pull.p50 : null,
      failed: pulls?.failed ?? 0,
    });
  }
  return spans.filter((s) => !END.test(s.point));
}

export function sweepTimelineSpec(envelope: Envelope, raw: readonly RawRecord[]): VegaLiteSpec | null {
  const spans = sweepSpans(envelope, raw);
  if (spans.length === 0) return null;
  // A point that never ended runs to the sweep's last instant (its wall time, from its summary).
  const last = Math.max(...spans.map((s) => s.endS ?? s.startS), envelope.runtime.wallMs / 1000);
  const rows = spans.map((s) => ({
    ...s,
    end: s.endS ?? last,
    ended: s.endS === null ? 'no (cut short)' : 'yes',
  }));
  return {
    $schema: SCHEMA,
    width: 'container',
    // A number, not {step}: a step height beside a container width warns "Dropping fit-y".
    height: Math.max(60, 24 * rows.length),
    data: { values: rows },
    mark: { type: 'bar', cornerRadius: 2 },
    encoding: {
      y: { field: 'point', type: 'nominal', sort: null, title: 'sweep point' },
      x: { field: 'startS', type: 'quantitative', title: 'seconds since the sweep started' },
      x2: { field: 'end' },
      color: {
        field: 'ended',
        type: 'nominal',
        title: 'ended',
        scale: { domain: ['yes', 'no (cut short)'], range: ['#4c78a8', '#e45756'] },
      },
      tooltip: [
        { field: 'point' },
        { field: 'startS', title: 'start (s)', format: '.1f' },
        { field: 'endS', title: 'end (s)', format: '.1f' },
        { field: 'pullP50S', title: 'pull P50 (s)', format: '.2f' },
        { field: 'failed', title: 'pulls failed' },
      ],
    },
  } as VegaLiteSpec;
}
