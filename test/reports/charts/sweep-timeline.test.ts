/** The sweep timeline: each measured point from its start marker to its end marker. */
import { describe, expect, it } from 'vitest';
import { markerRecord } from '../../../lib/k6/markers';
import { sweepSpans, sweepTimelineSpec } from '../../../reports/charts/sweep-timeline';
import { emptyEnvelope, rows } from '../spec-helpers';

const T = Date.parse('2026-12-05T07:00:00Z');
const envelope = {
  ...emptyEnvelope('k6'),
  points: [
    {
      label: 'C=1',
      params: {},
      metrics: { pullS: { p50: 2.5, p90: 3, p99: 4, max: 4 }, pulls: { ok: 9, failed: 1 } },
    },
    {
      label: 'C=2',
      params: {},
      metrics: { pullS: { p50: 1.5, p90: 2, p99: 2, max: 2 }, pulls: { ok: 10, failed: 0 } },
    },
  ],
};

describe('sweep timeline chart', () => {
  it('a bar per point from its start to its end, with its pull P50; a point cut short runs to the last instant', () => {
    const raw = [
      markerRecord('sweep', 'C=1 starts', T),
      markerRecord('sweep', 'C=1 ends', T + 20_000),
      markerRecord('sweep', 'C=2 starts', T + 23_000),
      markerRecord('sweep', 'C=2 ends', T + 35_000),
      markerRecord('sweep', 'C=4 starts', T + 38_000),
      markerRecord('fault', 'storage fault', T + 5000),
    ] as unknown as Array<Record<string, unknown>>;
    expect(sweepSpans(envelope, raw)).toEqual([
      { point: 'C=1', startS: 0, endS: 20, pullP50S: 2.5, failed: 1 },
      { point: 'C=2', startS: 23, endS: 35, pullP50S: 1.5, failed: 0 },
      { point: 'C=4', startS: 38, endS: null, pullP50S: null, failed: 0 },
    ]);
    const data = rows(sweepTimelineSpec(envelope, raw));
    expect(data.map((r) => [r.point, r.end, r.ended])).toEqual([
      ['C=1', 20, 'yes'],
      ['C=2', 35, 'yes'],
      ['C=4', 38, 'no (cut short)'],
    ]);
  });

  it('draws nothing without sweep markers', () => {
    expect(sweepTimelineSpec(envelope, [])).toBeNull();
    expect(sweepTimelineSpec(envelope, [markerRecord('fault', 'x', T)] as never)).toBeNull();
  });
});
