/**
 * Every chart of a k6 lab page and a sim page compiled by vega-lite and run by vega in
 * Node (no browser): no vega-lite warning (a "Dropping fit-y" warning once slipped through
 * on the copy-sweep page), and every chart's dataflow yields marks. The Chromium test
 * (test/e2e/report-render.test.ts) checks the same drawn; this one runs without the lab lock.
 */

import type * as vl from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { markerRecord } from '../../lib/k6/markers';
import { buildReportHtml } from '../../reports/index';
import { copySweepEnvelope, k6Envelope, killedK6Records } from '../fixtures/reports/envelopes';
import { k6PullRaw } from '../fixtures/reports/k6-pull-raw';
import { drawInNode } from './spec-helpers';

/** The tallest chart of the pages (load over time, five panels, is about 900 px). */
const MAX_CHART_PX = 1500;

function specsOf(html: string): Array<{ id: string; spec: vl.TopLevelSpec }> {
  const m = /<script type="application\/json" id="stampede-specs">([\s\S]*?)<\/script>/.exec(html);
  return JSON.parse(m?.[1] ?? '[]') as Array<{ id: string; spec: vl.TopLevelSpec }>;
}

async function check(html: string): Promise<string[]> {
  const ids: string[] = [];
  for (const { id, spec } of specsOf(html)) {
    // vega-lite's compile warnings and vega's own at run time (an infinite extent, a bad scale)
    const drawn = await drawInNode(spec);
    expect(drawn.warnings, id).toEqual([]);
    expect(drawn.marks, `${id} marks`).toBeGreaterThan(0);
    // Drawn within its frame: a bar at a raw value on a 0-1 scale once drew a 25,000 px chart.
    expect(drawn.height, `${id} drawn height`).toBeLessThan(MAX_CHART_PX);
    ids.push(id);
  }
  return ids;
}

describe('chart specs compile without warnings and draw marks', () => {
  it('a k6 lab run with a fault', async () => {
    const gen = k6PullRaw({ vus: 20, iterations: 2, faultFromS: 1, faultToS: 3 });
    const e = k6Envelope();
    e.params = { target: { seeded: { layers: gen.layers } } };
    e.metrics.backends = ['eastus', 'westus'].flatMap((r) =>
      [0, 1, 2].map((b) => ({
        id: `${r}-b${b}`,
        bytes: 1,
        peakEgressBps: 3e8,
        ceilingBps: b === 0 ? 2.5e8 : 0,
      })),
    );
    const ids = await check(buildReportHtml([e], [gen.records]));
    expect(ids).toEqual(
      expect.arrayContaining([
        'load',
        'responses',
        'pull-anatomy',
        'pull-anatomy-time',
        'layer-throughput',
        'backend-time',
        'region-answers',
        'backend-egress',
      ]),
    );
  }, 60_000);

  it('a real k6 run killed before its summary (its few 0.1 s bins drew a 25,000 px anatomy chart)', async () => {
    const ids = await check(buildReportHtml([k6Envelope()], [killedK6Records()]));
    expect(ids).toEqual(expect.arrayContaining(['pull-anatomy-time', 'region-answers']));
  }, 60_000);

  it('counts no marks in an empty chart (the check can fail)', async () => {
    const spec = { data: { values: [] }, mark: 'bar', encoding: { x: { field: 'a', type: 'quantitative' } } };
    expect((await drawInNode(spec)).marks).toBe(0);
  });

  it('a copy sweep', async () => {
    const e = copySweepEnvelope();
    const t = Date.parse('2026-12-05T07:00:00Z');
    const marks = e.points.flatMap((p, i) => [
      markerRecord('sweep', `${p.label} starts`, t + i * 20_000),
      markerRecord('sweep', `${p.label} ends`, t + i * 20_000 + 15_000),
    ]);
    const ids = await check(buildReportHtml([e], [marks as never]));
    expect(ids.length).toBeGreaterThan(5);
    expect(ids).toContain('sweep-timeline');
  }, 60_000);
});
