/**
 * The lab-physics storm (sim/models/lab-pull): closed-form limits and the lab's throttling
 * rule, on small fleets.
 */
import { describe, expect, it } from 'vitest';
import { defaults } from '../../lib/config/schema';
import { type CopySweepParams, copySweepSchema } from '../../sim/models/copy-sweep/params';
import { runLabPull } from '../../sim/models/lab-pull/storm';

const MiB = 2 ** 20;

function params(over: {
  nodes?: number;
  layersMiB?: number[];
  backends?: number;
  copies?: number;
  ceilingBps?: number;
  lab?: Partial<CopySweepParams['lab']>;
}): CopySweepParams {
  const d = defaults(copySweepSchema) as CopySweepParams;
  return {
    ...d,
    workload: { nodes: over.nodes ?? 1, layerSizesMiB: over.layersMiB ?? [1, 1, 1, 1] },
    storage: {
      ...d.storage,
      backends: over.backends ?? 4,
      copies: over.copies ?? 1,
      ceilingBps: over.ceilingBps ?? 1e12,
    },
    client: { ...d.client, maxConcurrentDownloads: 3 },
    lab: {
      ...d.lab,
      enabled: true,
      streamBps: 1 * MiB,
      minStreamBps: 1,
      startS: 0.5,
      startSpreadS: 0.001,
      requestS: 0.01,
      clientBps: 1e12,
      clientStreamBps: 1e9,
      configBytes: 1,
      ...over.lab,
    },
  };
}

describe('lab-pull storm', () => {
  it('one VU alone: start + a request per batch + each batch its largest blob at the stream rate', () => {
    // Blobs: config (1 B) + layers 1, 2, 1, 3 MiB, three at a time -> batches
    // [config, 1, 2] and [1, 3]: 2 s and 3 s at 1 MiB/s.
    const run = runLabPull(params({ layersMiB: [1, 2, 1, 3] }), 1);
    const expected = 0.5 + 2 * 0.01 + 2 + 3;
    expect(run.metrics.pullS?.p50).toBeGreaterThanOrEqual(expected);
    expect(run.metrics.pullS?.p50).toBeLessThan(expected + 0.0011);
    expect(run.metrics.throttleEvents).toBe(0);
    expect(run.metrics.podStartupS).toEqual(run.metrics.pullS);
  });

  it('a connection slower than the lab pacing sets the stream rate, per stream: N VUs on N backends take as long as one', () => {
    // lab.clientStreamBps 256 KiB/s under the recorded 1 MiB/s: batches [config, 1, 2] and
    // [1, 3] take 8 s and 12 s. No shared total: 4 VUs with every blob on its own copies
    // (4 backends, 4 copies, ceilings far above) pull in the same time.
    const lab = { clientStreamBps: 256 * 1024 };
    const one = runLabPull(params({ layersMiB: [1, 2, 1, 3], lab }), 1);
    const expected = 0.5 + 2 * 0.01 + 8 + 12;
    expect(one.metrics.pullS?.p50).toBeGreaterThanOrEqual(expected);
    expect(one.metrics.pullS?.p50).toBeLessThan(expected + 0.0011);
    const four = runLabPull(params({ nodes: 4, copies: 4, layersMiB: [1, 2, 1, 3], lab }), 1);
    expect(four.metrics.pullS?.max).toBeCloseTo(one.metrics.pullS?.p50 as number, 2);
    // Above the recorded pacing the fitted rate changes nothing.
    const fast = runLabPull(params({ layersMiB: [1, 2, 1, 3], lab: { clientStreamBps: 4 * MiB } }), 1);
    expect(fast.metrics.pullS?.p50).toBeLessThan(0.5 + 2 * 0.01 + 5 + 0.0011);
  });

  it('shares a backend ceiling max-min fairly: N VUs on one copy take N times as long', () => {
    const one = runLabPull(params({ nodes: 1, backends: 1, ceilingBps: MiB, lab: { streamBps: 0 } }), 1);
    const four = runLabPull(params({ nodes: 4, backends: 1, ceilingBps: MiB, lab: { streamBps: 0 } }), 1);
    const body = (s: number | undefined) => (s as number) - 0.5 - 2 * 0.01;
    expect(body(four.metrics.pullS?.max)).toBeCloseTo(4 * body(one.metrics.pullS?.max), 1);
    expect(four.metrics.hotBackendRatio).toBeCloseTo(1, 6);
  });

  it("refuses a stream while ceiling/(active+1) < minStreamBps, and the VU's retry gets through", () => {
    // ceiling 1 MB/s, floor 0.6 MB/s: one stream at a time per backend.
    const run = runLabPull(
      params({
        nodes: 2,
        backends: 1,
        ceilingBps: 1e6,
        layersMiB: [0.5],
        lab: { minStreamBps: 6e5, streamBps: 0 },
      }),
      3,
    );
    expect(run.metrics.throttleEvents).toBeGreaterThan(0);
    expect(run.metrics.errors?.total).toBe(0);
    expect(run.nodes.pullS.every(Number.isFinite)).toBe(true);
  });

  it('a pull fails once its retries run out', () => {
    const run = runLabPull(
      params({
        nodes: 3,
        backends: 1,
        ceilingBps: 1e6,
        layersMiB: [2],
        lab: { minStreamBps: 6e5, streamBps: 0, maxRetries: 0 },
      }),
      1,
    );
    expect(run.metrics.errors?.total).toBeGreaterThan(0);
  });

  it('same seed, same result; more copies, fewer 503s (200 VUs, 16 backends, the bench lab)', () => {
    const lab = { streamBps: 65536, minStreamBps: 40000, maxRetries: 50, startS: 1, startSpreadS: 0.5 };
    const at = (copies: number, seed = 1) =>
      runLabPull(
        params({ nodes: 200, backends: 16, copies, ceilingBps: 4e6, layersMiB: Array(8).fill(0.25), lab }),
        seed,
      ).metrics;
    expect(at(2)).toEqual(at(2));
    const t = [1, 2, 8, 16].map((c) => at(c).throttleEvents ?? 0);
    expect(t[0]).toBeGreaterThan(t[1] as number);
    expect(t[2]).toBe(0);
    expect(t[3]).toBe(0);
    expect(at(1).pullS?.p99).toBeGreaterThan(at(16).pullS?.p99 as number);
  });

  it("a layer ranking puts each layer's copies on its first C backends", () => {
    // Four layers ranked onto backends 2 and 3 only: with one copy every layer byte comes
    // from backend 2, with two copies from 2 and 3; the other backends serve at most the
    // config blob (1 B, still drawn).
    const ranking = [
      [2, 3, 0, 1],
      [2, 3, 1, 0],
      [2, 3, 0, 1],
      [2, 3, 1, 0],
    ];
    const bytesOf = (copies: number) =>
      (
        runLabPull(params({ nodes: 6, copies, layersMiB: [1, 1, 1, 1] }), 3, ranking).metrics
          .backends as Array<{
          bytes: number;
        }>
      ).map((b) => b.bytes);
    const one = bytesOf(1);
    expect(one[2]).toBeGreaterThanOrEqual(6 * 4 * MiB);
    expect(one[0]! + one[1]! + one[3]!).toBeLessThanOrEqual(6);
    const two = bytesOf(2);
    expect(two[2]! + two[3]!).toBeGreaterThanOrEqual(6 * 4 * MiB);
    expect(two[0]! + two[1]!).toBeLessThanOrEqual(6);
  });
});
