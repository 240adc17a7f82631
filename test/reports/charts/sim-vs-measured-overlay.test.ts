/**
 * The sim-vs-measured overlay with groups and bounds (reports/charts/sim-vs-measured.ts
 * overlaySpec) and the charts that draw their twins with it: failover CDFs (exact bounds as an
 * x band), region share, push-pull-race twin and offsets, the copy sweep (tolerance bands).
 * Each spec is compiled by vega-lite and run by vega in Node: no warning, marks drawn, no wider
 * than the page.
 */
import { describe, expect, it } from 'vitest';
import type { Envelope, Point } from '../../../lib/results/envelope';
import { ABOVE } from '../../../reports/charts/common';
import { failoverCdfSpec } from '../../../reports/charts/failover-cdf';
import { regionShareSpec } from '../../../reports/charts/failover-region-share';
import { twinSpec } from '../../../reports/charts/race-twin';
import { offsetSpec } from '../../../reports/charts/replication-offsets';
import { overlayErrors, overlaySpec, simVsMeasuredSpec } from '../../../reports/charts/sim-vs-measured';
import { sweepErrorRows, sweepErrorSpec } from '../../../reports/charts/sweep-error';
import type { ReportRun } from '../../../reports/types';
import { at, drawInNode, emptyEnvelope, type Row, rows } from '../spec-helpers';

/** The page is 1280 px wide; a chart leaves room for the margins. */
const PAGE_PX = 1240;

async function drawsCleanly(spec: unknown): Promise<void> {
  expect(spec).not.toBeNull();
  const d = await drawInNode(spec);
  expect(d.warnings).toEqual([]);
  expect(d.marks).toBeGreaterThan(0);
  expect(d.width).toBeLessThan(PAGE_PX);
}

const env = (kind: 'sim' | 'k6', metrics: Record<string, unknown> = {}, points: Point[] = []): Envelope => ({
  ...emptyEnvelope(kind),
  metrics,
  points,
});
const byRow = (spec: unknown, row: string): Row[] => rows(spec).filter((r) => r.row === row);

describe('overlaySpec: groups and bounds', () => {
  const input = {
    x: { title: 'offset (s)' },
    y: { title: 'failed', format: '%' },
    groupTitle: 'strategy',
    rows: [
      { source: 'lab', side: 'measured' as const, group: 'none', x: 0, y: 0.5 },
      { source: 'lab', side: 'measured' as const, group: 'none', x: 2, y: 0.2 },
      { source: 'sim', side: 'simulated' as const, group: 'none', x: 0, y: 0.55 },
      { source: 'sim', side: 'simulated' as const, group: 'none', x: 2, y: 0.1 },
      { source: 'lab', side: 'measured' as const, group: 'retry', x: 0, y: 0 },
      { source: 'sim', side: 'simulated' as const, group: 'retry', x: 0, y: 0 },
      { source: 'sim', side: 'simulated' as const, group: 'retry', x: 4, y: null },
    ],
    bands: [
      { group: 'none', axis: 'y' as const, x: 0, low: 0.45, high: 0.55, label: '±5 pp' },
      { group: 'none', axis: 'y' as const, x: 2, low: 0.15, high: 0.25, label: '±5 pp' },
    ],
  };

  it('pairs each simulated value with the measured one at its group and x: difference and error', () => {
    const e = overlayErrors(input.rows);
    expect(e[2]).toMatchObject({
      measured: 0.5,
      diff: expect.closeTo(0.05, 12),
      error: expect.closeTo(0.1, 12),
    });
    expect(e[3]).toMatchObject({
      measured: 0.2,
      diff: expect.closeTo(-0.1, 12),
      error: expect.closeTo(-0.5, 12),
    });
    // A measured 0 has a difference but no relative error; a measured row has neither.
    expect(e[5]).toMatchObject({ measured: 0, diff: 0, error: null });
    expect(e[0]).toMatchObject({ measured: null, diff: null, error: null });
  });

  it('colours by group, dashes by source, draws y bands as areas; nulls are left out', async () => {
    const spec = overlaySpec(input);
    expect(byRow(spec, 'series')).toHaveLength(6);
    expect(byRow(spec, 'yband').map((b) => [b.x, b.low, b.high])).toEqual([
      [0, 0.45, 0.55],
      [2, 0.15, 0.25],
    ]);
    const layers = at(spec, 'layer') as Array<Record<string, unknown>>;
    expect(at(layers[0], 'mark.type')).toBe('area');
    expect(at(layers[1], 'encoding.color.field')).toBe('group');
    expect(at(layers[1], 'encoding.strokeDash.field')).toBe('source');
    expect(at(layers[1], 'encoding.strokeDash.scale.domain')).toEqual(['lab', 'sim']);
    await drawsCleanly(spec);
  });

  it('one panel each (hconcat), x bands over the panel, a nominal x gets bars for its bands', async () => {
    const spec = overlaySpec({
      x: { title: 'point', type: 'nominal' },
      panels: [
        { id: 'a', title: 'A', y: { title: 's' } },
        { id: 'b', title: 'B', y: { title: 'ratio' } },
      ],
      rows: [
        { source: 'm', side: 'measured', panel: 'a', x: 'C=1', y: 2 },
        { source: 's', side: 'simulated', panel: 'a', x: 'C=1', y: 2.1 },
        { source: 'm', side: 'measured', panel: 'b', x: 'C=1', y: 1.2 },
        { source: 's', side: 'simulated', panel: 'b', x: 'C=1', y: 1 },
      ],
      bands: [
        { panel: 'a', axis: 'y', x: 'C=1', low: 1.8, high: 2.2, label: '±10%' },
        { panel: 'b', axis: 'x', low: 0, high: 0, label: 'nothing' },
      ],
    });
    const units = at(spec, 'hconcat') as unknown[];
    expect(units).toHaveLength(2);
    expect(at((at(units[0], 'layer') as unknown[])[0], 'mark.type')).toBe('bar');
    expect(at((at(units[1], 'layer') as unknown[])[0], 'mark.type')).toBe('rect');
    await drawsCleanly(spec);
  });

  it('is null without a drawable value', () => {
    expect(overlaySpec({ x: { title: 'x' }, rows: [{ source: 'a', x: 1, y: null }] })).toBeNull();
  });
});

describe('failover: CDFs with the exact bounds as a band, region share', () => {
  const cdf = (xs: number[]) => xs.map((value, i) => ({ value, fraction: (i + 1) / xs.length }));
  const sim: ReportRun = {
    label: 'sim',
    raw: [],
    envelope: env('sim', {
      failoverCdf: cdf([40, 55, 70, 90]),
      failbackCdf: cdf([20, 30, 45]),
      bounds: { clientFailover: { min: 35, max: 100 }, clientFailback: { min: 10, max: 60 } },
      regionShare: [
        { t: 0, region: 'eastus', share: 1, served: 10, failed: 0 },
        { t: 0, region: 'failed', share: 0, served: 0, failed: 0 },
        { t: 10, region: 'westus', share: 0.7, served: 7, failed: 0 },
        { t: 10, region: 'failed', share: 0.3, served: 0, failed: 3 },
      ],
      faultWindow: { kind: 'region-down', region: 'eastus', startS: 5, clearS: 60 },
      tmTransitions: [{ t: 8, region: 'eastus', to: 'degraded' }],
    }),
  };
  const lab: ReportRun = {
    label: 'lab',
    envelope: env('k6'),
    raw: [
      { kind: 'client', failoverS: 50, failbackS: 25 },
      { kind: 'client', failoverS: 62, failbackS: 33 },
      { kind: 'bin', t: 0, region: 'eastus', served: 9, failed: 0 },
      { kind: 'bin', t: 10, region: 'westus', served: 6, failed: 4 },
    ],
  };

  it('overlays both runs per phase, the simulated bounds as x bands; draws cleanly', async () => {
    const spec = failoverCdfSpec([sim, lab]);
    expect(new Set(byRow(spec, 'series').map((r) => `${r.panel} ${r.source}`))).toEqual(
      new Set([
        'failover sim (simulated)',
        'failover lab (measured)',
        'failback sim (simulated)',
        'failback lab (measured)',
      ]),
    );
    expect(byRow(spec, 'xband').map((b) => [b.panel, b.low, b.high])).toEqual([
      ['failover', 35, 100],
      ['failback', 10, 60],
    ]);
    // A measured run alone has no bounds to draw.
    expect(byRow(failoverCdfSpec([lab]), 'xband')).toEqual([]);
    await drawsCleanly(spec);
  });

  it('region share: region is the colour (failed in red), run the dash, fault and TM rules over it', async () => {
    const spec = regionShareSpec([sim, lab]);
    const series = byRow(spec, 'series');
    expect(new Set(series.map((r) => r.source))).toEqual(new Set(['sim (simulated)', 'lab (measured)']));
    const scale = at((at(spec, 'layer') as unknown[])[0], 'encoding.color.scale') as {
      domain: string[];
      range: string[];
    };
    expect(scale.range[scale.domain.indexOf('failed')]).toBe(ABOVE);
    // The measured westus share at t=10 (6 of 10) against the simulated 0.7.
    expect(series.find((r) => r.source === 'sim (simulated)' && r.group === 'westus')).toMatchObject({
      measured: 0.6,
      diff: expect.closeTo(0.1, 12),
    });
    // the series, two rule layers and two tag layers
    expect(at(spec, 'layer')).toHaveLength(5);
    await drawsCleanly(spec);
  });
});

describe('push-pull-race: the twin and the offsets', () => {
  const q = (v: number) => ({ p50: v, p90: v * 1.5, p99: v * 2, max: v * 2 });
  const run: ReportRun = {
    label: 'race',
    raw: [],
    envelope: env('k6', {
      twin: {
        sets: ['mode=race'],
        targetsMet: false,
        rows: [
          {
            strategy: 'none',
            offsetS: 0,
            labFailedShare: 0.9,
            simFailedShare: 0.8,
            labToSuccessS: null,
            simToSuccessS: null,
            pairedFailedShare: 0.9,
          },
          {
            strategy: 'none',
            offsetS: 2,
            labFailedShare: 0.02,
            simFailedShare: 0.06,
            labToSuccessS: q(2),
            simToSuccessS: q(2.1),
          },
          {
            strategy: 'retry',
            offsetS: 0,
            labFailedShare: 0,
            simFailedShare: 0,
            labToSuccessS: q(3),
            simToSuccessS: q(3.6),
          },
          {
            strategy: 'retry',
            offsetS: 2,
            labFailedShare: 0,
            simFailedShare: 0,
            labToSuccessS: q(3.2),
            simToSuccessS: q(3.3),
          },
        ],
      },
    }),
  };

  it('one panel per figure, strategy coloured, a target band around each lab point', async () => {
    const spec = twinSpec(run);
    expect(at(spec, 'hconcat')).toHaveLength(3);
    const bands = byRow(spec, 'yband');
    // Failure share ±5 pp, clamped to [0, 1]; P50/P90: the simulated values the twin's check
    // passes, 10% of the simulated value, so lab 3 s gives 3/1.1 .. 3/0.9.
    expect(bands.find((b) => b.panel === 'failed' && b.group === 'none' && b.x === 2)).toMatchObject({
      low: 0,
      high: expect.closeTo(0.07, 12),
    });
    expect(bands.find((b) => b.panel === 'p50' && b.group === 'retry' && b.x === 0)).toMatchObject({
      low: expect.closeTo(3 / 1.1, 12),
      high: expect.closeTo(3 / 0.9, 12),
    });
    // The simulated retry P50 at offset 0 is 20% slow: its error is in the row, outside its band.
    const sim = byRow(spec, 'series').find(
      (r) => r.panel === 'p50' && r.group === 'retry' && r.x === 0 && r.source === 'sim',
    );
    expect(sim?.error).toBeCloseTo(0.2, 12);
    expect(byRow(spec, 'series').filter((r) => r.source === 'paired')).toHaveLength(1);
    await drawsCleanly(spec);
  });

  it('failed share against offset: a simulated and a measured run per strategy', async () => {
    const pt = (label: string, byOffset: unknown[]): Point => ({
      label,
      params: {},
      metrics: { byOffset } as never,
    });
    const points = [
      pt('none', [
        { offsetS: 0, failedShare: 0.9 },
        { offsetS: 2, failedShare: 0.1 },
      ]),
      pt('retry', [
        { offsetS: 0, failedShare: 0 },
        { offsetS: 2, failedShare: 0 },
      ]),
    ];
    const a: ReportRun = { label: 'sim', raw: [], envelope: env('sim', {}, points) };
    const b: ReportRun = { label: 'lab', raw: [], envelope: env('k6', {}, points.slice(0, 1)) };
    const spec = offsetSpec([a, b]);
    expect(byRow(spec, 'series')).toHaveLength(6);
    expect(at((at(spec, 'layer') as unknown[])[0], 'encoding.color.field')).toBe('group');
    await drawsCleanly(spec);
  });
});

describe('copy sweep: simulated against measured per figure, the bands around the measured', () => {
  const q = (p50: number, p90: number, p99: number) => ({ p50, p90, p99, max: p99 });
  const point = (copies: number, pullS: ReturnType<typeof q>, hot: number): Point => ({
    label: `C=${copies}`,
    params: { 'storage.copies': copies, 'workload.nodes': 200 },
    metrics: { pullS, hotBackendRatio: hot, throttleEvents: copies === 1 ? 40 : 0 },
  });
  const measured = env('k6', {}, [
    point(1, q(40, 50, 60), 1.3),
    point(4, q(22, 26, 31), 0.6),
    point(8, q(20, 25, 30), 0.4),
  ]);
  const simulated = env('sim', {}, [
    point(1, q(37, 52, 75), 1.2),
    point(4, q(23, 27, 32), 0.62),
    point(8, q(21, 24, 33), 0.41),
  ]);
  const runs: ReportRun[] = [
    { label: 'lab', envelope: measured, raw: [] },
    { label: 'sim', envelope: simulated, raw: [] },
  ];

  it('a panel per figure, copies on x; each simulated error equals sweepErrorRows', async () => {
    const spec = sweepErrorSpec(runs);
    expect(at(spec, 'hconcat')).toHaveLength(4);
    const errs = sweepErrorRows(measured, simulated);
    const sims = byRow(spec, 'series').filter((r) => r.source === 'sim (simulated)');
    expect(sims).toHaveLength(errs.length);
    for (const e of errs) {
      const r = sims.find(
        (s) => s.panel === e.figure && s.x === Number(e.point.slice(2, e.point.indexOf(' '))),
      );
      expect(r?.error).toBeCloseTo(e.error, 12);
    }
    // P99 held to ±15% of measured: C=1's 60 s gives 51..69 (the simulated 75 is outside).
    expect(byRow(spec, 'yband').find((b) => b.panel === 'P99' && b.x === 1)).toMatchObject({
      low: expect.closeTo(51, 9),
      high: expect.closeTo(69, 9),
    });
    await drawsCleanly(spec);
  });
});

describe('simVsMeasuredSpec: one distribution each side, on overlaySpec', () => {
  const measured = Array.from({ length: 200 }, (_, i) => 1 + i / 100);
  const sim = { p50: 2.1, p90: 2.9, p99: 2.95, max: 3.2 };

  it('samples: both CDFs as overlay steps (measured solid, simulated dashed), quantiles on them', async () => {
    const spec = simVsMeasuredSpec({
      unit: 's',
      what: 'pull duration',
      measured: { samples: measured },
      simulated: { samples: measured.map((v) => v * 1.05), quantiles: sim },
    });
    const top = at(spec, 'vconcat.0');
    expect(at(top, 'layer.0.mark.interpolate')).toBe('step-after');
    expect(at(top, 'layer.0.encoding.strokeDash.scale.domain')).toEqual(['measured', 'simulated']);
    const steps = byRow(top, 'series');
    expect(steps.filter((r) => r.source === 'measured')).toHaveLength(200);
    // Two CDFs at one x are not a measured and a simulated figure: no error is paired by x.
    expect(steps.every((r) => r.error === null)).toBe(true);
    // Each figure sits at its fraction; the simulated one carries the error the bars below draw.
    const q = rows(top, 'layer.1.data.values');
    const bars = rows(spec, 'vconcat.1.data.values');
    for (const b of bars) {
      const s = q.find((r) => r.source === 'simulated' && r.figure === b.figure);
      expect(s?.errorPct).toBe(b.errorPct);
    }
    expect(q.find((r) => r.figure === 'P90')?.fraction).toBe(0.9);
    await drawsCleanly(spec);
  });

  it('quantiles only (a summary on each side): the line through the quantile points of each side', async () => {
    const m = { p50: 2, p90: 2.7, p99: 3.1, max: 3.3 };
    const spec = simVsMeasuredSpec({ unit: 's', measured: { quantiles: m }, simulated: { quantiles: sim } });
    const top = at(spec, 'vconcat.0');
    expect(at(top, 'title.text')).toBe('Quantiles');
    expect(byRow(top, 'series').map((r) => [r.source, r.x, r.y])).toEqual([
      ['measured', 2, 0.5],
      ['simulated', 2.1, 0.5],
      ['measured', 2.7, 0.9],
      ['simulated', 2.9, 0.9],
      ['measured', 3.1, 0.99],
      ['simulated', 2.95, 0.99],
      ['measured', 3.3, 1],
      ['simulated', 3.2, 1],
    ]);
    await drawsCleanly(spec);
  });
});
