/**
 * The published findings, asserted on the experiment's own envelope under the calibrated
 * preset (1,000 nodes, as in the post). One full sweep plus the two ablations, each run
 * only at the points the ablation is about, keep this file to a few seconds.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { resolve } from '../../lib/config/schema';
import type { Envelope, Point } from '../../lib/results/envelope';
import { loadPreset } from '../../sim/experiments/presets';
import { simulate } from '../../sim/experiments/simulate';
import { readTargetTable } from '../../sim/experiments/target-table';
import { copySweepSchema } from '../../sim/models/copy-sweep/params';
import { copySweepModel } from '../../sim/models/copy-sweep/plugin';

const preset = () => [
  { source: 'preset acr-copies-2026', tree: loadPreset('acr-copies-2026', 'copy-sweep').params },
];
const run = (sets: string[] = []) => simulate(copySweepModel, resolve(copySweepSchema, preset(), sets), 1);
const at = (env: Envelope, label: string): Point => {
  const p = env.points.find((x) => x.label === label);
  if (!p) throw new Error(`no point ${label}`);
  return p;
};
const copiesAt = (env: Envelope, label: string) => at(env, label).params['storage.copies'] as number;
const peak = (p: Point) => Math.max(...(p.metrics.backends ?? []).map((b) => b.peakEgressBps));
const above = (p: Point) => (p.metrics.backends ?? []).filter((b) => b.peakEgressBps > b.ceilingBps).length;

describe('copy-sweep under the acr-copies-2026 preset', () => {
  let env: Envelope;
  beforeAll(() => {
    env = run();
  });

  /** Relative error of each published figure, by `<label> <quantile>`. */
  const errors = (): Map<string, { err: number; text: string }> => {
    const out = new Map<string, { err: number; text: string }>();
    for (const t of readTargetTable().points) {
      const q = at(env, t.label).metrics.podStartupS;
      for (const f of ['p50', 'p90', 'p99'] as const) {
        const err = Math.abs((q?.[f] ?? 0) - t.podStartupS[f]) / t.podStartupS[f];
        out.set(`${t.label} ${f}`, { err, text: `simulated ${q?.[f]} vs published ${t.podStartupS[f]}` });
      }
    }
    return out;
  };
  // Measured at seed 1 with the working-set fan-out cost (storage.cacheBytes 6.5 GiB,
  // crowdingExponent 3.5, set by a scan over those two with the rest of the preset as it
  // was; no refit yet): 12 of 15 within 5 %, Baseline P90 +6.5 %, Low P99 -18.0 %, Very high
  // P99 -7.9 %. Low's tail rested on the cache expiry of the cache-admission rule that the
  // working set replaced (a refused reader came back alone to a cold copy); without it a
  // refusal costs only the back-off past its layer's slack. Issue 13's target is over seeds
  // 1-8, not one seed: copy-sweep-seeds.test.ts.
  it('reproduces at least 12 of the 15 published figures within 5 %, every one but Low P99 within 10 %', () => {
    const all = errors();
    expect(all.size).toBe(15);
    const inBand = [...all.values()].filter((e) => e.err <= 0.05).length;
    expect(inBand, [...all].map(([k, e]) => `${k}: ${e.text}`).join('; ')).toBeGreaterThanOrEqual(12);
    for (const [k, { err, text }] of all)
      if (k !== 'Low p99') expect(err, `${k}: ${text}`).toBeLessThanOrEqual(0.1);
  });

  it.fails('Low P99 within 10 % at seed 1 (target, missed: -18 % without cache expiry)', () => {
    const low = errors().get('Low p99');
    expect(low?.err ?? 1, low?.text).toBeLessThanOrEqual(0.1);
  });

  it('makes a few extra copies help a little and a moderate number a lot (the P99 column)', () => {
    // Published: Baseline 856 s, Low 779 s, Mid 622 s. The order holds; the size of Low's
    // gain over Mid does not (next case).
    const p99 = (l: string) => at(env, l).metrics.podStartupS?.p99 ?? 0;
    expect(p99('Low')).toBeLessThan(p99('Baseline'));
    expect(p99('Low')).toBeGreaterThanOrEqual(p99('Mid'));
  });

  it.fails("Low's tail sits well above Mid's (target, missed: Low P99 639 s against Mid 623 s)", () => {
    // The post's Low keeps "some" throttling and a P99 of 779 s, 25 % above Mid's.
    const p99 = (l: string) => at(env, l).metrics.podStartupS?.p99 ?? 0;
    expect(p99('Low')).toBeGreaterThan(1.1 * p99('Mid'));
  });

  it('throttles at Baseline and Low, never from Mid on', () => {
    expect(at(env, 'Baseline').metrics.throttleEvents).toBeGreaterThan(0);
    expect(at(env, 'Low').metrics.throttleEvents).toBeGreaterThan(0);
    for (const l of ['Mid', 'Higher', 'Very high']) expect(at(env, l).metrics.throttleEvents, l).toBe(0);
  });

  it('has several backends above the ceiling at Baseline, exactly one at Low, none from Mid on', () => {
    expect(above(at(env, 'Baseline'))).toBeGreaterThanOrEqual(2);
    expect(above(at(env, 'Low'))).toBe(1);
    for (const l of ['Mid', 'Higher', 'Very high']) expect(above(at(env, l)), l).toBe(0);
  });

  it('counts every 503 once per backend and once per layer, and only backends above the ceiling refuse', () => {
    for (const p of env.points) {
      const backends = p.metrics.backends ?? [];
      const total = p.metrics.throttleEvents ?? 0;
      expect(
        backends.reduce((s, b) => s + (b.throttles ?? 0), 0),
        p.label,
      ).toBe(total);
      expect(
        (p.metrics.throttlesByLayer as number[]).reduce((s, v) => s + v, 0),
        p.label,
      ).toBe(total);
      for (const b of backends.filter((x) => (x.throttles ?? 0) > 0)) {
        // Throttling and "above the ceiling" are one condition on one meter, seen from two sides.
        expect(b.peakEgressBps, `${p.label} ${b.id}`).toBeGreaterThan(b.ceilingBps);
        expect(b.firstThrottleS, `${p.label} ${b.id}`).toBeGreaterThan(0);
        expect(b.lastThrottleS ?? 0, `${p.label} ${b.id}`).toBeGreaterThanOrEqual(b.firstThrottleS ?? 1);
      }
    }
    // Low's 503s all come from its one backend above the ceiling.
    const low = (at(env, 'Low').metrics.backends ?? []).filter((b) => (b.throttles ?? 0) > 0);
    expect(low).toHaveLength(1);
  });

  it('peak per-backend egress falls from Baseline to Very high', () => {
    expect(peak(at(env, 'Very high'))).toBeLessThan(peak(at(env, 'Baseline')));
  });

  it('raises P50 per-node egress at Mid to at least 3x Baseline', () => {
    const mid = at(env, 'Mid').metrics.nodeEgressBps?.p50 ?? 0;
    const base = at(env, 'Baseline').metrics.nodeEgressBps?.p50 ?? 1;
    expect(mid / base).toBeGreaterThanOrEqual(3);
  });

  it("puts the sweet spot at Mid, as the post does, with Very high's regression past it", () => {
    const spot = env.metrics.sweetSpot as { label: string; copies: number; pastRegression: number };
    expect(spot.label).toBe('Mid');
    expect(spot.copies).toBe(copiesAt(env, 'Mid'));
    const vh = at(env, 'Very high').metrics.podStartupS?.p99 ?? 0;
    const mid = at(env, 'Mid').metrics.podStartupS?.p99 ?? 1;
    expect(spot.pastRegression).toBeCloseTo(vh / mid - 1, 9);
    expect(spot.pastRegression).toBeGreaterThan(0.2);
  });

  it('carries the published table as reference and a startup CDF per point', () => {
    expect(env.reference?.source).toMatch(/How Many Copies/);
    expect(env.reference?.points).toHaveLength(5);
    for (const p of env.points) expect((p.metrics.podStartupCdf as unknown[]).length).toBeGreaterThan(10);
  });

  it('ablation: without the fan-out cost the Very-high regression disappears', () => {
    const off = run([
      'storage.fanOutCost=false',
      `sweep.copies=${copiesAt(env, 'Higher')},${copiesAt(env, 'Very high')}`,
      'sweep.labels=Higher,Very high',
    ]);
    const higher = at(env, 'Higher').metrics.podStartupS?.p99 ?? 0;
    const vh = at(off, 'Very high').metrics.podStartupS?.p99 ?? 0;
    expect(at(env, 'Very high').metrics.podStartupS?.p99 ?? 0).toBeGreaterThan(higher * 1.15);
    expect(vh).toBeLessThan(higher * 1.05);
  });

  it('ablation: without throttling the Baseline tail disappears', () => {
    const off = run([
      'storage.throttling=false',
      `sweep.copies=${copiesAt(env, 'Baseline')},${copiesAt(env, 'Mid')}`,
      'sweep.labels=Baseline,Mid',
    ]);
    const mid = at(env, 'Mid').metrics.podStartupS?.p99 ?? 0;
    expect(at(env, 'Baseline').metrics.podStartupS?.p99 ?? 0).toBeGreaterThan(mid * 1.15);
    expect(at(off, 'Baseline').metrics.podStartupS?.p99 ?? 0).toBeLessThan(mid * 1.05);
    expect(at(off, 'Baseline').metrics.throttleEvents).toBe(0);
  });

  it('ablation: the Very-high regression comes with crowded backends and a falling node egress P50', () => {
    // The post: P50 throughput "dropped sharply at Very high". Here Very high's backends
    // hold more distinct copies within a window than their cache, and their streams slow;
    // without the working-set cost the node egress P50 stays at Higher's.
    const off = run([
      'storage.fanOutCost=false',
      `sweep.copies=${copiesAt(env, 'Higher')},${copiesAt(env, 'Very high')}`,
      'sweep.labels=Higher,Very high',
    ]);
    const egress = (e: Envelope, l: string) => at(e, l).metrics.nodeEgressBps?.p50 ?? 0;
    expect(at(env, 'Very high').metrics.crowdedReads).toBeGreaterThan(0);
    expect(egress(env, 'Very high')).toBeLessThan(egress(env, 'Higher') * 0.5);
    expect(egress(off, 'Very high')).toBeGreaterThan(egress(off, 'Higher') * 0.9);
    expect(at(off, 'Very high').metrics.crowdedReads).toBe(0);
  });
});

describe('determinism', () => {
  it('same seed gives byte-identical envelopes (wall time aside)', () => {
    const p = resolve(copySweepSchema, preset(), [
      'workload.nodes=150',
      'sweep.copies=2,96',
      'sweep.labels=a,b',
    ]);
    const strip = (e: Envelope) => JSON.stringify({ ...e, runtime: { ...e.runtime, wallMs: 0 } });
    const a = simulate(copySweepModel, p, 9);
    const b = simulate(copySweepModel, p, 9);
    const c = simulate(copySweepModel, p, 10);
    expect(strip(a)).toBe(strip(b));
    expect(strip(c)).not.toBe(strip(a));
  });
});
