/** A measured copy-sweep point from its cold-pull summary: sim copy-sweep's shape, the client region's backends. */
import { describe, expect, it } from 'vitest';
import { measuredPoint, pointLine, sweepMetrics } from '../../../lib/k6/copy-sweep/points';
import type { Envelope } from '../../../lib/results/envelope';

const run = (copies: number, p99: number, throttles: number): Envelope => ({
  tool: 'stampede',
  kind: 'k6',
  name: 'cold-pull',
  seed: 0,
  params: {},
  metrics: {
    pullS: { p50: p99 / 2, p90: p99 * 0.9, p99, max: p99 },
    throttleEvents: throttles,
    pulls: { ok: 10, failed: 0 },
    bytes: 100,
    backends: [
      { id: 'eastus-b0', bytes: 60, peakEgressBps: 4.4e6, ceilingBps: 4e6, throttles },
      { id: 'eastus-b1', bytes: 40, peakEgressBps: 2e6, ceilingBps: 4e6, throttles: 0 },
      { id: 'westus-b0', bytes: 0, peakEgressBps: 9e6, ceilingBps: 4e6, throttles: 0 },
    ],
    nodeEgressBps: { p50: 1, p75: 1, p90: 1, p99: 1, p999: 1 },
  },
  points: [],
  runtime: { wallMs: 12_000 + copies, events: 1 },
});

describe('measuredPoint', () => {
  it('keeps the named backends, the hottest ratio over them, and pull as pod startup', () => {
    const p = measuredPoint({ label: 'C=1', vus: 10, copies: 1 }, run(1, 8, 5), ['eastus-b0', 'eastus-b1']);
    expect(p.params).toEqual({ 'workload.nodes': 10, 'storage.copies': 1 });
    expect(p.metrics.backends?.map((b) => b.id)).toEqual(['eastus-b0', 'eastus-b1']);
    expect(p.metrics.hotBackendRatio).toBeCloseTo(1.1, 10);
    expect(p.metrics.backendsAboveCeiling).toBe(1);
    expect(p.metrics.podStartupS).toEqual(p.metrics.pullS);
    expect(p.metrics.throttleEvents).toBe(5);
    expect(pointLine(1, 3, p)).toBe(
      'point 1/3 C=1: 10 ok 0 failed; pull P50 4.00s P90 7.20s P99 8.00s; 503s 5; hottest backend 1.10x ceiling',
    );
  });

  it('the sweet spot: the fewest copies without 503s at the best P99', () => {
    const pts = [
      measuredPoint({ label: 'C=1', vus: 10, copies: 1 }, run(1, 20, 9)),
      measuredPoint({ label: 'C=2', vus: 10, copies: 2 }, run(2, 10, 0)),
      measuredPoint({ label: 'C=4', vus: 10, copies: 4 }, run(4, 10.1, 0)),
    ];
    expect(sweepMetrics(pts).sweetSpot).toMatchObject({ label: 'C=2', copies: 2 });
  });
});
