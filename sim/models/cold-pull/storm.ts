/**
 * One cold-pull storm: every node pulls the same image at t=0 from a storage pool with a
 * given copy count. Returns the point metrics (DESIGN.md names) and per-node results.
 */
import type { BackendStat, Metrics } from '../../../lib/results/envelope';
import { cdf, egressQuantiles, quantiles } from '../../../lib/results/stats';
import { createRng, Env } from '../../kernel';
import { FlowNetwork } from '../../net';
import { createStoragePool, type NodeResults, startClients } from '../index';
import type { ColdPullParams } from './params';

const MiB = 2 ** 20;

export interface ColdPullRun {
  metrics: Metrics;
  nodes: NodeResults;
  events: number;
  /** Network solver work, for benchmarks. */
  net: { recomputes: number; flowsVisited: number; extensions: number };
}

/** Sub-stream labels: fixed so a change in one model's draws does not shift another's. */
const STREAM = { placement: 1, traits: 2, events: 3 } as const;

/** Simulated seconds between progress callbacks (a 20,000-node storm takes about a minute). */
const PROGRESS_SLICE_S = 5;

export function runColdPull(
  params: ColdPullParams,
  seed: number,
  onProgress?: (simS: number, ready: number) => void,
): ColdPullRun {
  const env = new Env();
  const net = new FlowNetwork(env);
  const root = createRng(seed);
  const placementRng = root.fork(STREAM.placement);
  const traitRng = root.fork(STREAM.traits);
  const rng = root.fork(STREAM.events);
  const sizes = params.workload.layerSizesMiB.map((m) => m * MiB);
  const pool = createStoragePool(
    env,
    net,
    params.storage,
    sizes,
    params.client.streamBps,
    placementRng,
    rng,
    params.run.sampleS,
  );
  const nodes = startClients(env, net, pool, params.client, params.workload.nodes, sizes, traitRng, rng);
  const peaks = pool.peakEgress;
  // Running in slices only gives the callback a turn: events run in the same order either way.
  if (onProgress)
    for (let t = PROGRESS_SLICE_S; t < params.run.horizonS && env.pending > 0; t += PROGRESS_SLICE_S) {
      env.run(t);
      const ready = finite(nodes.podStartupS).length;
      onProgress(t, ready);
      if (ready === params.workload.nodes) break;
    }
  env.run(params.run.horizonS);
  // A pod whose container start (startS after its unpack) falls past the horizon was not
  // ready by then either (its time is set when the unpack ends).
  for (const [i, t] of nodes.podStartupS.entries())
    if (t > params.run.horizonS) nodes.podStartupS[i] = Number.NaN;

  const ready = finite(nodes.podStartupS);
  const notReady = params.workload.nodes - ready.length;
  const backends: BackendStat[] = pool.links.map((link, b) => {
    const throttles = pool.backendThrottles[b] as number;
    return {
      id: `backend-${String(b).padStart(3, '0')}`,
      bytes: pool.bytesServed[b] as number,
      peakEgressBps: peaks[b] as number,
      instantPeakEgressBps: net.linkPeak(link),
      ceilingBps: params.storage.ceilingBps,
      throttles,
      // Only where there is a window: NaN would not survive JSON.
      ...(throttles > 0 && {
        firstThrottleS: pool.firstThrottleS[b] as number,
        lastThrottleS: pool.lastThrottleS[b] as number,
      }),
    };
  });
  const hottest = Math.max(...backends.map((b) => b.peakEgressBps));
  const metrics: Metrics = {
    // No quantiles of nothing: with no node ready they would read as 0 s.
    ...(ready.length > 0 && { podStartupS: quantiles(ready), pullS: quantiles(finite(nodes.pullS)) }),
    throttleEvents: pool.throttles,
    // Which layers were refused says whose unpack a 503 can delay (an early big layer costs most).
    throttlesByLayer: Array.from(pool.layerThrottles),
    backends,
    hotBackendRatio: hottest / params.storage.ceilingBps,
    nodeEgressBps: egressQuantiles(finite(nodes.egressBps)),
    errors: { total: notReady, byCode: notReady > 0 ? { NOT_READY_AT_HORIZON: notReady } : {} },
    backendsAboveCeiling: backends.filter((b) => b.peakEgressBps > b.ceilingBps * (1 + 1e-9)).length,
    throttledNodes: countPositive(nodes.throttled),
    // Reads that started on a backend whose working set exceeded its cache.
    crowdedReads: pool.crowdedReads,
    peakWorkingSetBytes: pool.peakWorkingBytes,
    podStartupCdf: cdf(ready),
  };
  return { metrics, nodes, events: env.processed, net: { ...net.stats } };
}

function finite(a: Float64Array): number[] {
  const out: number[] = [];
  for (const v of a) if (Number.isFinite(v)) out.push(v);
  return out;
}

function countPositive(a: Int32Array): number {
  let n = 0;
  for (const v of a) if (v > 0) n++;
  return n;
}
